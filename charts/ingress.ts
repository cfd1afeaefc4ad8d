import type { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { StackChart, type StackChartProps } from './stack-chart';

/** One host routed to one Service port. */
export interface IngressRoute {
  readonly host: string;
  readonly serviceName: string;
  readonly port: number;
}

export interface IngressChartProps extends StackChartProps {
  /** IngressClass that serves the routes. */
  readonly className: string;
  readonly routes: readonly IngressRoute[];
}

/**
 * Host-based routing for the public hosts. No TLS and no middleware: Cloudflare terminates
 * TLS (Flexible SSL) and sends plain HTTP with the original Host header to a node's :80.
 */
export class IngressChart extends StackChart {
  constructor(scope: Construct, id: string, props: IngressChartProps) {
    super(scope, id, props);
    new k8s.KubeIngress(this, 'Ingress', {
      metadata: { name: props.partOf },
      spec: {
        ingressClassName: props.className,
        rules: props.routes.map((r) => ({
          host: r.host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: r.serviceName, port: { number: r.port } } },
              },
            ],
          },
        })),
      },
    });
  }
}
