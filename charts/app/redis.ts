import type { Construct } from 'constructs';
import type { Config } from '../../config/schema';
import * as k8s from '../../imports/k8s';
import { selectorLabels, workloadLabels } from '../labels';
import { StackChart, type StackChartProps } from '../stack-chart';
import { DisruptionBudget } from './disruption-budget';
import { podTemplate } from './pod';

export interface RedisChartProps extends StackChartProps {
  readonly redis: Config['apps']['redis'];
}

/**
 * Redis as a one-replica StatefulSet with its append-only file on a PersistentVolumeClaim:
 * it holds the Asynq queue, which must survive a restart.
 */
export class RedisChart extends StackChart {
  static readonly NAME = 'redis';
  /** Service name other workloads connect to. */
  readonly serviceName = RedisChart.NAME;
  readonly port: number;

  constructor(scope: Construct, id: string, props: RedisChartProps) {
    super(scope, id, props);
    const { redis } = props;
    this.port = redis.port;
    const labels = { name: RedisChart.NAME, component: 'cache', partOf: props.partOf };
    const portName = 'redis';
    const tcpSocket = { port: k8s.IntOrString.fromString(portName) };

    const template = podTemplate({
      ...labels,
      image: redis.image,
      resources: redis.resources,
      runAsUser: redis.runAsUser,
      port: redis.port,
      portName,
      args: ['redis-server', '--port', String(redis.port), '--appendonly', 'yes', '--dir', '/data'],
      mounts: [{ name: 'data', mountPath: '/data' }],
      probes: {
        readinessProbe: { tcpSocket, periodSeconds: 10, failureThreshold: 3 },
        livenessProbe: { tcpSocket, periodSeconds: 20, failureThreshold: 3 },
      },
    });

    new k8s.KubeStatefulSet(this, 'StatefulSet', {
      metadata: { name: RedisChart.NAME, labels: workloadLabels(labels) },
      spec: {
        replicas: 1,
        serviceName: RedisChart.NAME,
        selector: { matchLabels: selectorLabels(labels) },
        template,
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: workloadLabels(labels) },
            spec: {
              accessModes: ['ReadWriteOnce'],
              storageClassName: redis.storageClass,
              resources: { requests: { storage: k8s.Quantity.fromString(redis.storage) } },
            },
          },
        ],
      },
    });

    new k8s.KubeService(this, 'Service', {
      metadata: { name: RedisChart.NAME, labels: workloadLabels(labels) },
      spec: {
        type: 'ClusterIP',
        selector: selectorLabels(labels),
        ports: [{ name: 'redis', port: redis.port, targetPort: k8s.IntOrString.fromString(portName), protocol: 'TCP' }],
      },
    });

    // local-path volumes are bound to their node, so Redis cannot move during a drain anyway;
    // minAvailable 0 lets the drain proceed, and Redis returns with the node.
    new DisruptionBudget(this, 'Budget', { ...labels, minAvailable: 0 });
  }

  /** host:port that the api and worker use to reach Redis. */
  get address(): string {
    return `${this.serviceName}:${this.port}`;
  }
}
