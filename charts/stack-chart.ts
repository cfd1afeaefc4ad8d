import { Chart } from 'cdk8s';
import type { Construct } from 'constructs';
import { stackLabels } from './labels';

export interface StackChartProps {
  /** Stack name, set as `app.kubernetes.io/part-of` on every object. */
  readonly partOf: string;
  /** Namespace of the chart's objects. @default - cluster-scoped or set per object */
  readonly namespace?: string;
}

/** A chart of the honeydue stack: stable object names (no hash suffix) and the stack labels. */
export class StackChart extends Chart {
  constructor(scope: Construct, id: string, props: StackChartProps) {
    super(scope, id, {
      namespace: props.namespace,
      labels: stackLabels(props.partOf),
      disableResourceNameHashes: true,
    });
  }
}
