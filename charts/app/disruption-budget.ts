import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { selectorLabels, workloadLabels, type WorkloadLabelsProps } from '../labels';

export interface DisruptionBudgetProps extends WorkloadLabelsProps {
  /**
   * Pods that must stay up during a voluntary disruption (drain, upgrade).
   * 0 lets a drain evict the only pod of a singleton.
   */
  readonly minAvailable: number;
}

/** A PodDisruptionBudget selecting exactly the workload's pods. */
export class DisruptionBudget extends Construct {
  constructor(scope: Construct, id: string, props: DisruptionBudgetProps) {
    super(scope, id);
    new k8s.KubePodDisruptionBudget(this, 'Resource', {
      metadata: { name: props.name, labels: workloadLabels(props) },
      spec: {
        minAvailable: k8s.IntOrString.fromNumber(props.minAvailable),
        selector: { matchLabels: selectorLabels(props) },
      },
    });
  }
}
