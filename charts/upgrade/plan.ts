import type { Construct } from 'constructs';
import { Plan } from '../../imports/upgrade.cattle.io';
import { StackChart, type StackChartProps } from '../stack-chart';
import type { UpgradeControllerChart } from './controller';

export interface K3sServerPlanChartProps extends Omit<StackChartProps, 'namespace'> {
  /** The controller the Plan is for: its namespace and service account. */
  readonly controller: UpgradeControllerChart;
  /** K3s release the servers are upgraded to: `k3s.version`, the one the cloud-init files install. */
  readonly version: string;
}

/** Image of the upgrade Job: it copies the release's checksum-verified k3s over the running binary. */
export const K3S_UPGRADE_IMAGE = 'rancher/k3s-upgrade';

/**
 * The server Plan, after K3s's own example (system-upgrade-controller examples/k3s-upgrade.yaml):
 * one server at a time, cordoned while its binary is replaced. Every node here is a server,
 * so the selector is the control-plane role label, without the example's opt-in label.
 */
export class K3sServerPlanChart extends StackChart {
  readonly plan: Plan;

  constructor(scope: Construct, id: string, props: K3sServerPlanChartProps) {
    super(scope, id, { partOf: props.partOf, namespace: props.controller.planNamespace });
    this.plan = new Plan(this, 'K3sServer', {
      metadata: { name: 'k3s-server' },
      spec: {
        // One at a time: etcd keeps its quorum (2 of 3) while one server restarts.
        concurrency: 1,
        cordon: true,
        nodeSelector: { matchExpressions: [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists' }] },
        serviceAccountName: props.controller.serviceAccountName,
        upgrade: { image: K3S_UPGRADE_IMAGE },
        version: props.version,
      },
    });
    this.addDependency(props.controller);
  }
}
