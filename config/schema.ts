import { z } from 'zod';
import { checkClusterAddresses, checkNetworks } from './address-checks';
import { checkCapacity, checkEnvSize, checkRoutes, checkToolEnv } from './app-checks';
import { cluster } from './cluster';
import { etcdSnapshots } from './etcd-snapshots';
import { cloudflare, firewall } from './firewall';
import { checkOperatorCidrs, checkWebPorts } from './firewall-checks';
import { checkHetznerLimits } from './hetzner-limits';
import { k3s, traefik } from './k3s';
import { checkNamespace } from './namespaces';
import { dnsLabel } from './net';
import { checkCluster } from './node-checks';
import { checkNodeNames } from './node-names';
import { apps } from './workloads';

/**
 * The one configuration of the honeydue stack: every chart, firewall rule and cloud-init
 * file derives from it. `cluster.yaml` at the repository root is the production value.
 *
 * The fields are defined by subject, and their descriptions are the documentation (`npm run
 * schema` writes them to `.schema/cluster.schema.json` for editors): workloads.ts (apps, with
 * pod-fields.ts), k3s.ts (k3s, traefik), cluster.ts, firewall.ts (firewall, cloudflare) and
 * etcd-snapshots.ts. The cross-field checks below run once every field has parsed; they live
 * in node-checks.ts, node-names.ts, app-checks.ts, firewall-checks.ts, address-checks.ts and
 * hetzner-limits.ts, and each names the field to fix.
 */

const base = z.strictObject({
  namespace: dnsLabel
    .default('honeydue')
    .describe(
      "Namespace of the workloads: a namespace of their own, never one that Kubernetes, K3s or the stack's other components own (kube-system, kube-public, kube-node-lease, default, system-upgrade).",
    ),
  partOf: dnsLabel
    .default('honeydue')
    .describe(
      'Value of app.kubernetes.io/part-of on every object; `kubectl apply --prune -l app.kubernetes.io/part-of=<this>` relies on it.',
    ),
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
  .superRefine(checkEnvSize)
  .superRefine(checkNamespace)
  .describe('honeydue-infra configuration: the cdk8s manifests and the node cloud-init files derive from it.');

/** The configuration as its own checks see it: `Config` before the checks that refine it. */
export type CheckedConfig = z.output<typeof base>;

/** The YAML as written: defaults may be omitted. */
export type RawConfig = z.input<typeof configSchema>;
/**
 * The resolved configuration, whole: what the CLI loads and hands on. A module that reads one
 * block names that block's type instead (`ClusterConfig`, `K3sConfig`, `FirewallConfig`,
 * `EtcdSnapshotsConfig`, from the file that defines it), so a change to another block cannot reach it.
 */
export type Config = z.output<typeof configSchema>;
export type { ClusterConfig, NodeConfig } from './cluster';
