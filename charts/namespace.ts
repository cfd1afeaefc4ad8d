import type { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { StackChart, type StackChartProps } from './stack-chart';

export interface NamespaceChartProps extends Omit<StackChartProps, 'namespace'> {
  /** Namespace to create. */
  readonly name: string;
}

/** The workloads' namespace. Its file sorts first, so `kubectl apply -f dist` creates it before its contents. */
export class NamespaceChart extends StackChart {
  readonly name: string;

  constructor(scope: Construct, id: string, props: NamespaceChartProps) {
    super(scope, id, { partOf: props.partOf });
    this.name = props.name;
    new k8s.KubeNamespace(this, 'Namespace', {
      metadata: {
        name: props.name,
        // Every pod here is built to the restricted standard; the API server now refuses any that is not.
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' },
      },
    });
  }
}
