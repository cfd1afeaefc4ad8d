import { z } from 'zod';
import { cidrContains, dnsLabel, dnsName, ipv4Address, ipv4Cidr, ipv6Cidr, isSloppyIPv4, port } from './net';
import { type CapacityInput, capacityReport } from './capacity';
import { bytes, cpuQuantity, cpuRequest, memoryAmount, memoryQuantity } from './quantity';
import { INT32_MAX, MAX_UID } from './kubernetes';
import { TOOL_ENV } from './tool-env';
import {
  checkClusterAddresses,
  checkNetworks,
  checkOperatorCidrs,
  checkReleaseUrl,
  checkRoutes,
  checkWebPorts,
  WORLD_PREFIX_BELOW,
} from './sanity';
import { printable, text } from './text';
import { etcdSnapshots } from './etcd-snapshots';
import { checkHetznerLimits } from './hetzner-limits';
import { checkNodeNames } from './node-names';
import { FLANNEL_BACKENDS } from './ports';

/**
 * The one configuration of the honeydue stack: every chart, firewall rule and cloud-init
 * file derives from it. `cluster.yaml` at the repository root is the production value.
 * The descriptions below are the documentation; `npm run schema` writes them to
 * `.schema/cluster.schema.json` for editors.
 */

/** Pinned image reference: a tag other than `latest`, or a digest. */
const image = text
  .regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
    'expected an image reference such as ghcr.io/owner/name:1.2.3',
  )
  .refine((ref) => /:[A-Za-z0-9_][A-Za-z0-9_.-]*$|@sha256:/.test(ref.replace(/^[^/]*:[0-9]+\//, '')), {
    message: 'image has no tag; pin a version tag (name:1.2.3) or a digest (name@sha256:…) so every node runs the same build',
  })
  .refine((ref) => !/:latest(@|$)/.test(ref), {
    message: 'image uses the mutable tag "latest"; pin a version tag or a digest so a restart cannot change the build',
  })
  .describe('Container image, pinned by a version tag or a digest. `latest` and untagged images are refused.');

const resources = z
  .strictObject({
    cpu: cpuRequest.describe('CPU request per pod.'),
    memory: memoryAmount.describe('Memory request per pod.'),
    memoryLimit: memoryAmount.describe('Memory limit per pod. No CPU limit is set: CPU limits throttle latency-sensitive Go and Node processes without protecting anything memory limits do not.'),
  })
  .refine((r) => bytes(r.memoryLimit) >= bytes(r.memory), {
    message: 'memoryLimit is below the memory request; the limit must be at least the request',
    path: ['memoryLimit'],
  })
  .describe('Requests and limits of one pod. Requests are what the capacity check sums.');

const secretNames = z
  .array(dnsName)
  .default([])
  .describe('Secrets whose keys become environment variables (envFrom). They are created out of band (see README); manifests only reference them.');

const env = z
  .record(
    text.regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name in UPPER_SNAKE_CASE'),
    // cdk8s writes these two unquoted, and PyYAML reads a bare << or = as a YAML 1.1 merge or value indicator.
    text.refine((v) => v !== '<<' && v !== '=', 'a value of exactly "<<" or "=" is read by YAML 1.1 readers (PyYAML) as a merge or value indicator; choose another value'),
  )
  .default({})
  .describe('Plain, non-secret environment variables. Values are any printable text: no control characters, Unicode line or paragraph separators or byte-order mark.');

/** The UID (and GID) the non-root containers run as unless configured: distroless's `nonroot`. */
const NONROOT_UID = 65532;

/**
 * A whole number that lands in an int32 field of a manifest (OpenAPI `format: int32`):
 * Kubernetes cannot store a larger one.
 */
const int32 = (min: number) =>
  z
    .number()
    .int()
    .min(min)
    .max(
      INT32_MAX,
      `expected at most ${INT32_MAX}: the Kubernetes field is a 32-bit integer (int32), ` +
        'so the API server refuses a larger number',
    );

const runAsUser = z
  .number()
  .int()
  .min(1, 'runAsUser 0 is root; the pods run as non-root')
  .max(
    MAX_UID,
    `expected a UID of at most ${MAX_UID}: Kubernetes refuses larger UIDs and GIDs ` +
      `(the field is 64-bit, but its check allows 0 to ${MAX_UID})`,
  )
  .describe('Numeric UID the container runs as. runAsNonRoot cannot verify a non-numeric image USER, so it is set explicitly.');

/** An absolute URL path with an optional query, RFC 3986 characters only (pchar, "/", "?"). */
const URL_PATH = /^\/([A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*(\?([A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$/;

const probes = (startupFailureThreshold: number) =>
  z
    .strictObject({
      path: text
        .regex(URL_PATH, 'expected an absolute HTTP path such as /healthz (RFC 3986 characters only; escape others as %XX)')
        .describe('HTTP path (and optional query) of the startup, readiness and liveness probes.'),
      periodSeconds: int32(1).default(5).describe('Probe period in seconds.'),
      startupFailureThreshold: int32(1)
        .default(startupFailureThreshold)
        .describe('Startup probe failures tolerated; periodSeconds × this is the longest allowed start.'),
    })
    .describe('HTTP probes of the workload.');

/**
 * An Ingress rule's host: a DNS name. Kubernetes refuses an IP address there (it parses the
 * host with ParseIPSloppy, so 010.0.0.1 counts too), and the name pattern alone would let a
 * dotted quad through.
 */
const ingressHost = dnsName.refine((host) => !isSloppyIPv4(host), {
  message:
    'an IP address is not a host name: Kubernetes refuses an Ingress rule whose host is an IP address; ' +
    'use the DNS name the requests carry, such as api.myhoneydue.com',
});

/** What every workload of the namespace has: its image, resources, user and environment. */
const workload = z.strictObject({
  image,
  resources,
  runAsUser: runAsUser.default(NONROOT_UID),
  secretEnv: secretNames,
  env,
});

/** One HTTP workload: the shape of apps.api and apps.admin, also used by the benchmark’s generated configs. */
export const webApp = (defaults: { replicas: number; startupFailureThreshold: number }) =>
  workload.extend({
    replicas: int32(1).default(defaults.replicas).describe('Pod replicas, spread across nodes.'),
    port: port.describe('Container port; the Service and the Ingress backend use the same number.'),
    host: ingressHost.describe(
      'Public host name routed to this workload by the Ingress: a DNS name, never an IP address, and no other app’s.',
    ),
    probes: probes(defaults.startupFailureThreshold),
  });

const apps = z
  .strictObject({
    api: webApp({ replicas: 3, startupFailureThreshold: 48 }).describe(
      'Go HTTP API (also serves the marketing landing page). startupFailureThreshold 48 × 5 s = 240 s: MigrateWithLock serializes migrations across the replicas on first boot.',
    ),
    admin: webApp({ replicas: 2, startupFailureThreshold: 24 }).describe('Next.js admin UI. Probe path "/": "/admin/" returns 404 and got pods killed.'),
    worker: workload
      .extend({
        replicas: z
          .literal(1, {
            error: 'worker replicas must be exactly 1: the Asynq scheduler inside the worker is a singleton, and a second replica would enqueue every scheduled job twice',
          })
          .default(1)
          .describe('Always 1: the Asynq scheduler is a singleton.'),
      })
      .describe('Asynq worker and scheduler. No Service.'),
    redis: z
      .strictObject({
        image,
        port: port.default(6379).describe('Redis port, used by the Service and by the REDIS_ADDR the api and worker receive.'),
        storage: memoryAmount.default('5Gi').describe('Size of the PersistentVolumeClaim holding the append-only file.'),
        storageClass: dnsLabel.default('local-path').describe('StorageClass of the claim. K3s ships local-path.'),
        resources,
        runAsUser: runAsUser.default(999),
      })
      .describe('Redis: cache and Asynq queue state, persisted with AOF so queued jobs survive a restart.'),
  })
  .describe('The workloads of the honeydue namespace.');

/** A Hetzner resource name as the printed hcloud commands pass it: a DNS label, so it is one plain shell word. */
const hetznerName = dnsLabel;

const node = z
  .strictObject({
    name: dnsLabel.describe('Hetzner server name; also the K3s node name and the cloud-init file name.'),
    // The alias is written into the comment header of the node's cloud-init file, which
    // runs as root: a name alphabet (no spaces, `#`, quotes or YAML indicators) keeps it a
    // name in a comment for every reader, whatever a YAML parser counts as a line break.
    alias: text
      .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, 'expected a short name such as hetzner1: letters, digits, ".", "_" and "-", at most 63 characters, starting and ending with a letter or digit')
      .optional()
      .describe('Name the runbooks use for this node ("hetzner1"). Letters, digits, ".", "_" and "-" only: it is written into the cloud-init file\'s header comment.'),
    publicIPv4: ipv4Address.describe('Public IPv4 address of the server.'),
    privateIPv4: ipv4Address.optional().describe('Address on the Hetzner private network; required on every node when cluster.privateNetwork is set.'),
    primaryIp: hetznerName
      .optional()
      .describe('Name of the Hetzner Primary IP that holds publicIPv4 (auto-delete off, so it outlives a rebuilt server); `hcloud server create --primary-ipv4` gives it to the server. Default: `<name>-ipv4`.'),
  })
  .transform((n) => ({ ...n, primaryIp: n.primaryIp ?? `${n.name}-ipv4` }))
  .describe('One K3s server node.');

const capacity = z.strictObject({ cpu: cpuQuantity, memory: memoryQuantity });

const cluster = z
  .strictObject({
    podCidr: ipv4Cidr.default('10.42.0.0/16').describe('Cluster-wide pod CIDR (K3s default); also allowed through UFW.'),
    serviceCidr: ipv4Cidr.default('10.43.0.0/16').describe('Service CIDR (K3s default); also allowed through UFW.'),
    clusterDns: ipv4Address.default('10.43.0.10').describe('CoreDNS Service address; must lie inside serviceCidr.'),
    flannelBackend: z
      .enum(FLANNEL_BACKENDS)
      .default('vxlan')
      .describe('Flannel backend. vxlan (UDP 8472, unencrypted) or wireguard-native (UDP 51820, encrypted node-to-node: the planned next step).'),
    privateNetwork: z
      .strictObject({
        cidr: ipv4Cidr.describe('CIDR of the Hetzner private network; every node privateIPv4 must lie inside it.'),
        interface: text
          .regex(/^[a-z][a-z0-9]{0,14}$/, 'expected a network interface name such as enp7s0')
          .default('enp7s0')
          .describe('Interface of the private network on the nodes (enp7s0 on CX servers); Flannel binds to it.'),
      })
      .optional()
      .describe('Hetzner private network. When set, node-ip, flannel-iface and the node-to-node firewall rules use the private addresses.'),
    nodeCapacity: capacity.prefault({ cpu: '4', memory: '8Gi' }).describe('Allocatable size of one node (CX33: 4 vCPU, 8 GB).'),
    systemReserved: capacity
      .prefault({ cpu: '1', memory: '2Gi' })
      .describe('Per node, what K3s itself (apiserver, etcd, kubelet), CoreDNS, Traefik, metrics-server and local-path use; subtracted before the capacity check.'),
    hetzner: z
      .strictObject({
        serverType: text
          .regex(/^(cx|cpx|ccx)\d+$/, 'expected an x86 server type (cx…, cpx…, ccx…): the nodes install the amd64 k3s binary, so Arm (cax…) servers are not supported')
          .default('cx33')
          .describe('Server type of the nodes (CX33: 4 vCPU, 8 GB). x86 only: the nodes install the amd64 k3s binary.'),
        image: text.regex(/^[a-z0-9.-]+$/, 'expected a Hetzner image name such as ubuntu-24.04').default('ubuntu-24.04').describe('Hetzner image the nodes boot.'),
        location: text
          .regex(/^[a-z0-9-]+$/, 'expected a Hetzner location such as nbg1')
          .default('nbg1')
          .describe('Hetzner location of the servers and their Primary IPs (nbg1: Nuremberg). A Primary IP serves only servers in its own location. Hetzner takes a location, not a datacenter, for both since 2026-07-01.'),
        firewall: hetznerName
          .default('honeydue')
          .describe('Name of the Hetzner Cloud Firewall every node carries: its rules (dist/hcloud/firewall.rules) are rendered from the same data as UFW, for the public interface.'),
        network: hetznerName
          .default('honeydue')
          .describe('Name of the Hetzner private network the nodes join at their privateIPv4 (`hcloud server attach-to-network`). Used only with cluster.privateNetwork.'),
        metadataAddress: ipv4Address
          .default('169.254.169.254')
          .describe('Hetzner metadata service. It serves the user-data, cluster token included, to anything on the node that asks: metadata-guard.service drops what pods and non-root host processes send to it, and the honeydue namespace also denies its pods egress to it.'),
      })
      .prefault({})
      .describe('Hetzner facts: what the printed hcloud commands name and ask for (server type, image, location, firewall, network), and the metadata service.'),
    established: z
      .boolean()
      .default(false)
      .describe('Set once the cluster is running: then no node gets cluster-init, and a rebuilt first node joins the second listed node instead of starting a second, separate cluster.'),
    nodes: z
      .array(node)
      .min(1, 'expected at least one server node')
      .describe('K3s server nodes. The first is the cluster-init server; the others join it. An odd count keeps an etcd quorum.'),
  })
  .describe('Nodes, networks and K3s cluster shape.');

/**
 * The one K3s minor release whose facts this project encodes: the server flags, the bundled
 * Traefik chart, the token forms and the upgrade image were all checked against v1.34
 * (test/fixtures/k3s, test/fixtures/traefik-k3s). Any v1.34 patch release is accepted (the
 * Traefik values are tested against every chart v1.34 patches bundle); another minor may rename
 * flags or change defaults (kube-proxy's IPVS mode is deprecated from v1.35), so it is refused
 * until those facts are checked again.
 */
export const K3S_MINOR = 'v1.34';

const RELEASE = /^v\d+\.\d+\.\d+\+k3s\d+$/;
const k3sVersion = text
  .regex(RELEASE, 'expected a K3s release version such as v1.34.6+k3s1')
  .superRefine((version, ctx) => {
    if (RELEASE.test(version) && !version.startsWith(`${K3S_MINOR}.`)) {
      ctx.addIssue({
        code: 'custom',
        message:
          `${version} is not a ${K3S_MINOR}.x release: this project's K3s facts (server flags, bundled Traefik ` +
          `chart, token forms, upgrade image) are checked for ${K3S_MINOR} only; use a ${K3S_MINOR} release such as ` +
          'v1.34.6+k3s1, or re-check those facts before moving to another minor',
      });
    }
  });

const k3s = z
  .strictObject({
    version: k3sVersion
      .default('v1.34.6+k3s1')
      .describe(`K3s release installed on the nodes: ${K3S_MINOR}.x, the minor whose facts this project encodes.`),
    sha256: text
      .regex(/^[a-f0-9]{64}$/, 'expected the sha256 of the k3s binary as 64 lower-case hex digits, copied from the release’s sha256sum-amd64.txt')
      .optional()
      .describe('Pin of the k3s binary’s sha256 (from the release’s sha256sum-amd64.txt). Unset: the binary is checked against sha256sum-amd64.txt fetched from the same release over HTTPS, as install.sh does.'),
    releaseBaseUrl: printable(z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://github.com/k3s-io/k3s/releases/download' }))
      .superRefine(checkReleaseUrl)
      .regex(/^[A-Za-z0-9_:/.,=+~-]+$/, 'the URL may only contain letters, digits and _:/.,=+~- (it is placed in a systemd unit)')
      .transform((u) => u.replace(/\/+$/, ''))
      .default('https://github.com/k3s-io/k3s/releases/download')
      .describe('Where <version>/k3s and <version>/sha256sum-amd64.txt are downloaded from: the official releases, or a private or air-gapped mirror. http:// is accepted only with sha256 pinned. No credentials, query or fragment: the URL is written into a world-readable systemd unit.'),
    kubeProxyMode: z
      .enum(['ipvs', 'iptables'])
      .default('ipvs')
      .describe('kube-proxy mode. K3s defaults to iptables; ipvs adds the proxy-mode flag and loads the ip_vs modules at boot. servicelb is disabled either way.'),
  })
  .superRefine((k, ctx) => {
    if (k.releaseBaseUrl.startsWith('http://') && !k.sha256) {
      ctx.addIssue({
        code: 'custom',
        path: ['releaseBaseUrl'],
        message: 'an http:// release URL needs k3s.sha256 pinned: without TLS only the pin proves the binary is genuine. Use https:// or set k3s.sha256',
      });
    }
  })
  .describe('How K3s is installed on the nodes.');

const cloudflare = z
  .strictObject({
    ipv4: z.array(ipv4Cidr).min(1).describe('Cloudflare’s published IPv4 ranges (https://www.cloudflare.com/ips-v4).'),
    ipv6: z.array(ipv6Cidr).default([]).describe('Cloudflare’s published IPv6 ranges (https://www.cloudflare.com/ips-v6).'),
  })
  .describe('Cloudflare edge ranges: Traefik trusts X-Forwarded-* only from them, and UFW can limit :80/:443 to them.');

const firewall = z
  .strictObject({
    operatorCidrs: z
      .array(ipv4Cidr)
      .default([])
      .describe(
        `Operator networks allowed to SSH (22) and the Kubernetes API (6443). Empty: only the nodes reach 6443 and nobody reaches SSH; use the Hetzner console. A prefix shorter than /${WORLD_PREFIX_BELOW} (0.0.0.0/0 and the like) is refused unless allowOperatorAccessFromAnywhere is true.`,
      ),
    allowOperatorAccessFromAnywhere: z
      .boolean()
      .default(false)
      .describe(
        `Set to true only if SSH and the Kubernetes API are meant to be open to the whole internet: it lets operatorCidrs hold 0.0.0.0/0 or another prefix shorter than /${WORLD_PREFIX_BELOW}. Off: such an entry is refused as a likely mistake.`,
      ),
    web: z
      .enum(['anywhere', 'cloudflareOnly'])
      .default('anywhere')
      .describe('Who may reach TCP 80/443: anywhere, or only Cloudflare’s ranges (cloudflare.ipv4/ipv6).'),
  })
  .describe('UFW policy of the nodes.');

const traefik = z
  .strictObject({
    webPort: port.default(80).describe('Host port of the web entrypoint; Cloudflare Flexible SSL sends plain HTTP here.'),
    websecurePort: port.default(443).describe('Host port of the websecure entrypoint.'),
    runAsUser: runAsUser.default(NONROOT_UID).describe('UID and GID Traefik runs as; binding :80 as non-root needs ip_unprivileged_port_start=0 on the node.'),
  })
  .prefault({})
  .describe('The K3s-bundled Traefik, reconfigured as a hostNetwork DaemonSet.');

const base = z.strictObject({
  namespace: dnsLabel.default('honeydue').describe('Namespace of the workloads.'),
  partOf: dnsLabel.default('honeydue').describe('Value of app.kubernetes.io/part-of on every object; `kubectl apply --prune -l app.kubernetes.io/part-of=<this>` relies on it.'),
  apps,
  ingressClassName: dnsLabel.default('traefik').describe('IngressClass of the Ingress.'),
  traefik,
  cloudflare,
  cluster,
  k3s: k3s.prefault({}),
  firewall: firewall.prefault({}),
  etcdSnapshots,
});

export const configSchema = base
  .superRefine(checkCluster)
  .superRefine(checkNodeNames)
  .superRefine(checkCapacity)
  .superRefine(checkWebPorts)
  .superRefine(checkNetworks)
  .superRefine(checkOperatorCidrs)
  .superRefine(checkHetznerLimits)
  .superRefine(checkClusterAddresses)
  .superRefine(checkRoutes)
  .superRefine(checkToolEnv)
  .describe('honeydue-infra configuration: the cdk8s manifests and the node cloud-init files derive from it.');

/** Cross-field rules of the node list; each names the field to fix. */
/** The configuration as its own checks see it: `Config` before the checks that refine it. */
export type CheckedConfig = z.output<typeof base>;

function checkCluster(c: z.output<typeof base>, ctx: z.RefinementCtx) {
  const { nodes, privateNetwork } = c.cluster;
  if (nodes.length % 2 === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['cluster', 'nodes'],
      message: `${nodes.length} server nodes: embedded etcd needs an odd number (1, 3, 5 …) to keep a quorum through a node loss`,
    });
  }
  const seen = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const [field, value] of [['name', n.name], ['publicIPv4', n.publicIPv4], ['privateIPv4', n.privateIPv4], ['primaryIp', n.primaryIp]] as const) {
      if (value === undefined) continue;
      const key = `${field === 'publicIPv4' || field === 'privateIPv4' ? 'ip' : field}:${value}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['cluster', 'nodes', i, field], message: `${value} is already used by cluster.nodes[${first}]; every node needs its own` });
      } else {
        seen.set(key, i);
      }
    }
    if (!privateNetwork && n.privateIPv4) {
      ctx.addIssue({ code: 'custom', path: ['cluster', 'nodes', i, 'privateIPv4'], message: 'privateIPv4 is set but cluster.privateNetwork is not; set cluster.privateNetwork (cidr, interface) to use the private network, or remove privateIPv4' });
    }
    if (privateNetwork && !n.privateIPv4) {
      ctx.addIssue({ code: 'custom', path: ['cluster', 'nodes', i, 'privateIPv4'], message: 'cluster.privateNetwork is set, so every node needs a privateIPv4' });
    }
    if (privateNetwork && n.privateIPv4 && !cidrContains(privateNetwork.cidr, n.privateIPv4)) {
      ctx.addIssue({ code: 'custom', path: ['cluster', 'nodes', i, 'privateIPv4'], message: `${n.privateIPv4} is outside cluster.privateNetwork.cidr ${privateNetwork.cidr}` });
    }
  });
  if (c.cluster.established && nodes.length < 2) {
    ctx.addIssue({ code: 'custom', path: ['cluster', 'established'], message: 'an established cluster needs a second node to join; a rebuilt single server starts a new cluster anyway, so leave established false' });
  }
  if (!cidrContains(c.cluster.serviceCidr, c.cluster.clusterDns)) {
    ctx.addIssue({ code: 'custom', path: ['cluster', 'clusterDns'], message: `${c.cluster.clusterDns} is outside cluster.serviceCidr ${c.cluster.serviceCidr}` });
  }
}

/** An app's `env` must not hold a variable its chart sets itself: the chart's value would silently win. */
function checkToolEnv(c: z.output<typeof base>, ctx: z.RefinementCtx) {
  for (const [app, vars] of Object.entries(TOOL_ENV) as [keyof typeof TOOL_ENV, Record<string, string>][]) {
    for (const [name, what] of Object.entries(vars)) {
      if (Object.hasOwn(c.apps[app].env, name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['apps', app, 'env', name],
          message:
            `${name} is set by the stack itself, and its value would silently replace this one: ` +
            `it holds ${what}. Remove it from env`,
        });
      }
    }
  }
}

/**
 * The requests of every pod must fit the nodes left after the system pods, and with one
 * node drained every pod must still fit on the others (a PDB-respecting drain must not
 * strand pods as Pending).
 */
function checkCapacity(c: z.output<typeof base>, ctx: z.RefinementCtx) {
  const report = capacityReport(capacityInput(c));
  for (const [what, need, have] of [
    ['CPU (millicores)', report.requested.cpu, report.allocatableOneNodeDown.cpu],
    ['memory (bytes)', report.requested.memory, report.allocatableOneNodeDown.memory],
  ] as const) {
    if (need > have) {
      ctx.addIssue({
        code: 'custom',
        path: ['apps'],
        message: `pod requests need ${need} ${what} but ${c.cluster.nodes.length - 1} node(s) left after a drain offer ${have}; lower replicas or requests, or raise cluster.nodeCapacity`,
      });
    }
  }
}

/** The capacity check's view of a configuration: every workload's pods and the nodes. */
export function capacityInput(c: Pick<Config, 'apps' | 'cluster'>): CapacityInput {
  const { api, admin, worker, redis } = c.apps;
  return {
    workloads: [
      { replicas: api.replicas, requests: api.resources },
      { replicas: admin.replicas, requests: admin.resources },
      { replicas: worker.replicas, requests: worker.resources },
      { replicas: 1, requests: redis.resources },
    ],
    nodes: c.cluster.nodes.length,
    nodeCapacity: c.cluster.nodeCapacity,
    systemReserved: c.cluster.systemReserved,
  };
}

/** The YAML as written: defaults may be omitted. */
export type RawConfig = z.input<typeof configSchema>;
/** The resolved configuration every chart and bootstrap module receives. */
export type Config = z.output<typeof configSchema>;
export type NodeConfig = Config['cluster']['nodes'][number];
