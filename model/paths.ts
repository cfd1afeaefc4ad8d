/** K3s's data directory: its default, which the config does not change. */
const K3S_DATA_DIR = '/var/lib/rancher/k3s';

/** Where the files the nodes share a meaning of live. One place, so units, config and tests agree. */
export const PATHS = {
  k3sDataDir: K3S_DATA_DIR,
  /** Where a running server keeps its full token (K10…::server:…). */
  k3sServerToken: `${K3S_DATA_DIR}/server/token`,
  sysctl: '/etc/sysctl.d/99-unprivileged-ports.conf',
  modulesLoad: '/etc/modules-load.d/ipvs.conf',
  k3sConfig: '/etc/rancher/k3s/config.yaml',
  /** Drop-ins K3s merges over config.yaml, in name order (the way a running server is changed in place). */
  k3sConfigDropIns: '/etc/rancher/k3s/config.yaml.d',
  k3sToken: '/etc/rancher/k3s/token',
  flannelConf: '/etc/rancher/k3s/flannel-net-conf.json',
  k3sPin: '/etc/rancher/k3s/k3s.sha256',
  k3sBinary: '/usr/local/bin/k3s',
  k3sStaging: '/var/lib/k3s-install',
  k3sUnit: '/etc/systemd/system/k3s.service',
  k3sInstallUnit: '/etc/systemd/system/k3s-install.service',
  metadataGuardUnit: '/etc/systemd/system/metadata-guard.service',
  /** iptables on the nftables backend on Ubuntu 24.04 and Debian (an alternatives link), as ufw and K3s use. */
  iptables: '/usr/sbin/iptables',
  ufwUserRules: '/etc/ufw/user.rules',
  ufwUser6Rules: '/etc/ufw/user6.rules',
  ufwConf: '/etc/ufw/ufw.conf',
  ufwDefaults: '/etc/default/ufw',
} as const;
