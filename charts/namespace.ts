import type { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { StackChart, type StackChartProps } from './stack-chart';

export interface NamespaceChartProps extends Omit<StackChartProps, 'namespace'> {
  /** Namespace to create. */
  readonly name: string;
  /** The cloud metadata service, which the namespace's pods may not reach. */
  readonly metadataAddress: string;
}

/**
 * The workloads' namespace, and the egress rule every pod in it gets. Its file sorts first,
 * so `kubectl apply -f dist` creates it before its contents.
 */
export class NamespaceChart extends StackChart {
  constructor(scope: Construct, id: string, props: NamespaceChartProps) {
    super(scope, id, { partOf: props.partOf });
    const namespace = new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: props.name,
        // Every pod here is built to the restricted standard; the API server now refuses any that is not.
        labels: {
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    });

    // Hetzner's metadata service hands the node's user-data, cluster token included, to any
    // client on the node, and pod traffic to it leaves NATed as the node. A pod that could
    // fetch the token could join the cluster as a server and read every Secret from etcd.
    // K3s enforces NetworkPolicy (kube-router) out of the box.
    const policy = new k8s.KubeNetworkPolicy(this, 'DenyMetadata', {
      metadata: { name: 'deny-cloud-metadata', namespace: props.name },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: [`${props.metadataAddress}/32`] } }] }],
      },
    });
    policy.addDependency(namespace);
  }
}
