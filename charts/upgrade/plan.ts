import type { Construct } from 'constructs';
import { Plan } from '../../imports/upgrade.cattle.io';
import { StackChart, type StackChartProps } from '../stack-chart';
import type { UpgradeControllerChart } from './controller';

export interface K3sServerPlanChartProps extends Omit<StackChartProps, 'namespace'> {
  /** The controller the Plan is for: its namespace and service account. */
  readonly controller: UpgradeControllerChart;
  /** K3s release the servers are upgraded to: `k3s.version`, the one the cloud-init files install. */
  readonly version: string;
  /** How many servers the cluster has (`cluster.nodes`): the gate waits until that many are healthy. */
  readonly servers: number;
}

/** Image of the upgrade Job: it copies the release's checksum-verified k3s over the running binary. */
export const K3S_UPGRADE_IMAGE = 'rancher/k3s-upgrade';
/**
 * Where that image keeps the new release's k3s (k3s-upgrade Dockerfile, `upgrade.sh`
 * NEW_BINARY); it serves `k3s kubectl` too.
 */
export const K3S_UPGRADE_BINARY = '/opt/k3s';
/** The label every server carries, and the Plan selects. */
export const SERVER_LABEL = 'node-role.kubernetes.io/control-plane';

/**
 * How long system-upgrade-controller waits after one server's Job completes before it starts
 * the next server's Job (`spec.postCompleteDelay`; it labels the node done only then, so the
 * node holds the Plan's one concurrency slot: pkg/upgrade/handle_batch.go). The Job completes
 * right after k3s-upgrade's SIGTERM, while K3s is still going down, and the Node stays Ready
 * until kube-controller-manager's node-monitor-grace-period (under a minute) has passed without
 * a heartbeat; K3s's etcd leader re-checks every member each 15 s (EtcdIsVoter). Two minutes
 * lets both conditions show a server that has not come back before the gate below reads them.
 */
export const POST_COMPLETE_DELAY = '2m';

/**
 * The `prepare` gate, run by /bin/sh in the k3s-upgrade image on the next server, before it
 * is cordoned or its K3s stopped: it waits until at least `$2` servers (nodes labelled `$3`)
 * exist and every one is Ready and a healthy etcd voter (the condition EtcdIsVoter that K3s's
 * etcd leader sets on each server's Node: pkg/etcd/etcd.go manageLearners). `$1` is the k3s
 * binary whose `kubectl` reads the API with the Job's service account (nodes: get, list).
 * The Job's deadline (SYSTEM_UPGRADE_JOB_ACTIVE_DEADLINE_SECONDS) ends a wait that never
 * succeeds; the Job then fails and the controller makes a new one later, still gated.
 *
 * A shell string, unlike the node files (which run no shell at all): the upgrade Job already
 * runs k3s-upgrade's own shell script as root on the host, from this image, and upstream's
 * agent-Plan `prepare` is a loop of the same kind (upgrade.sh `prepare`). The script is fixed
 * text; every value reaches it as an argument, never spliced into it.
 */
const NODE_LINES = [
  '{range .items[*]}{.metadata.name}',
  '{" "}{.status.conditions[?(@.type=="Ready")].status}',
  '{" "}{.status.conditions[?(@.type=="EtcdIsVoter")].status}{"\\n"}{end}',
].join('');

export const PREPARE_GATE = [
  'k3s=$1 want=$2 selector=$3',
  'while :; do',
  `  list=$("$k3s" kubectl get nodes --selector="$selector" -o jsonpath='${NODE_LINES}') || list=`,
  `  total=$(printf '%s\\n' "$list" | grep -c .)`,
  `  healthy=$(printf '%s\\n' "$list" | grep -c ' True True$')`,
  '  if [ "$total" -ge "$want" ] && [ "$healthy" -eq "$total" ]; then',
  '    echo "all $total servers are Ready and healthy etcd voters: upgrading $SYSTEM_UPGRADE_NODE_NAME"',
  '    exit 0',
  '  fi',
  '  echo "waiting: $healthy of $total servers (at least $want) are Ready and healthy etcd voters"',
  '  sleep 10',
  'done',
  '',
].join('\n');

/**
 * The server Plan, after K3s's own example (system-upgrade-controller examples/k3s-upgrade.yaml):
 * one server at a time, cordoned while its binary is replaced. Every node here is a server,
 * so the selector is the control-plane role label, without the example's opt-in label.
 *
 * `concurrency: 1` alone does not keep etcd's quorum: the controller moves to the next server
 * as soon as a Job completes, checking neither node nor etcd health (handle_batch.go), and the
 * Job completes right after k3s-upgrade's SIGTERM, before K3s is back. So the Plan both waits
 * (`postCompleteDelay`) and gates (`prepare`): no second server goes down while another is not
 * back, and an upgrade that does not come back stops the Plan instead of taking the quorum.
 */
export class K3sServerPlanChart extends StackChart {
  readonly plan: Plan;

  constructor(scope: Construct, id: string, props: K3sServerPlanChartProps) {
    super(scope, id, { partOf: props.partOf, namespace: props.controller.planNamespace });
    this.plan = new Plan(this, 'K3sServer', {
      metadata: { name: 'k3s-server' },
      spec: {
        concurrency: 1,
        cordon: true,
        nodeSelector: { matchExpressions: [{ key: SERVER_LABEL, operator: 'Exists' }] },
        postCompleteDelay: POST_COMPLETE_DELAY,
        prepare: {
          // Untagged, like `upgrade`: the controller gives it the Plan's resolved version as its
          // tag (pkg/upgrade/container/container.go WithLatestTag), so it is pinned by k3s.version
          // and is the image the upgrade container pulls anyway.
          image: K3S_UPGRADE_IMAGE,
          command: ['/bin/sh', '-c', PREPARE_GATE, 'k3s-server-gate'],
          args: [K3S_UPGRADE_BINARY, String(props.servers), SERVER_LABEL],
        },
        serviceAccountName: props.controller.serviceAccountName,
        upgrade: { image: K3S_UPGRADE_IMAGE },
        version: props.version,
      },
    });
    this.addDependency(props.controller);
  }
}
