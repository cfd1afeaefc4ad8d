import type { Construct } from 'constructs';
import { stringify } from 'yaml';
import { STACK_NAMESPACES } from '../config/namespaces';
import { HelmChartConfig } from '../imports/helm.cattle.io';
import { StackChart, type StackChartProps } from './stack-chart';
import { traefikValues, type TraefikValuesProps } from './traefik-values';

export interface TraefikConfigChartProps extends Omit<StackChartProps, 'namespace'>, TraefikValuesProps {}

/**
 * Reconfigures the Traefik that K3s bundles. K3s's helm-controller merges `valuesContent`
 * over the chart's values; the HelmChartConfig must be named like the HelmChart (`traefik`)
 * and live beside it in kube-system.
 */
export class TraefikConfigChart extends StackChart {
  constructor(scope: Construct, id: string, props: TraefikConfigChartProps) {
    super(scope, id, { partOf: props.partOf, namespace: STACK_NAMESPACES.kubeSystem });
    new HelmChartConfig(this, 'HelmChartConfig', {
      metadata: { name: 'traefik' },
      // helm reads values as YAML 1.1, where a bare yes/no/on/off is a boolean: write 1.1 so strings stay strings.
      spec: { valuesContent: stringify(traefikValues(props), { version: '1.1' }) },
    });
  }
}
