import type { Construct } from 'constructs';
import type { Config } from '../../config/schema';
import { REDIS_ADDR } from '../../config/tool-env';
import * as k8s from '../../imports/k8s';
import { selectorLabels, workloadLabels } from '../labels';
import { StackChart, type StackChartProps } from '../stack-chart';
import { DisruptionBudget } from './disruption-budget';
import { podTemplate } from './pod';
import type { RedisChart } from './redis';

export interface WorkerChartProps extends StackChartProps {
  readonly worker: Config['apps']['worker'];
  /** Redis holding the Asynq queues. */
  readonly redis: RedisChart;
}

/**
 * The Asynq worker and scheduler. The scheduler is a singleton: exactly one replica, and
 * `Recreate`, because a rolling update would briefly run two schedulers and enqueue every
 * scheduled job twice. No Service: nothing connects to it.
 */
export class WorkerChart extends StackChart {
  constructor(scope: Construct, id: string, props: WorkerChartProps) {
    super(scope, id, props);
    const { worker } = props;
    const labels = { name: 'worker', component: 'worker', partOf: props.partOf };

    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name: labels.name, labels: workloadLabels(labels) },
      spec: {
        replicas: worker.replicas,
        selector: { matchLabels: selectorLabels(labels) },
        strategy: { type: 'Recreate' },
        template: podTemplate({
          ...labels,
          ...worker,
          env: { ...worker.env, [REDIS_ADDR]: props.redis.address },
        }),
      },
    });

    // minAvailable 0: a singleton cannot keep one pod up through a drain; a drain must not block on it.
    new DisruptionBudget(this, 'Budget', { ...labels, minAvailable: 0 });
  }
}
