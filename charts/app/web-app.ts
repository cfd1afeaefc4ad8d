import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import type { IngressRoute } from '../ingress';
import { selectorLabels, workloadLabels } from '../labels';
import { DisruptionBudget } from './disruption-budget';
import { HTTP_PORT_NAME, podTemplate, type PodTemplateProps } from './pod';

/** HTTP probe settings from the config. */
export interface WebAppProbes {
  /** Path answering 200 once the process serves. */
  readonly path: string;
  /** Seconds between startup probes. */
  readonly periodSeconds: number;
  /** Startup failures tolerated: periodSeconds × this bounds the start. */
  readonly startupFailureThreshold: number;
}

export interface WebAppProps extends Omit<PodTemplateProps, 'probes' | 'spreadAcrossNodes' | 'port'> {
  /** Pod replicas. */
  readonly replicas: number;
  /** Container port; the Service exposes the same number. */
  readonly port: number;
  /** Public host the Ingress routes to this app. */
  readonly host: string;
  readonly probes: WebAppProbes;
}

/**
 * An HTTP workload: a Deployment spread across nodes, a ClusterIP Service on the container
 * port, and a PodDisruptionBudget that keeps all but one replica up.
 */
export class WebApp extends Construct {
  /** Service name, the DNS name other pods and the Ingress use. */
  readonly serviceName: string;
  /** Service port, equal to the container port. */
  readonly port: number;
  /** Public host routed to the Service. */
  readonly host: string;

  constructor(scope: Construct, id: string, props: WebAppProps) {
    super(scope, id);
    this.serviceName = props.name;
    this.port = props.port;
    this.host = props.host;
    const httpGet = { path: props.probes.path, port: k8s.IntOrString.fromString(HTTP_PORT_NAME) };

    new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name: props.name, labels: workloadLabels(props) },
      spec: {
        replicas: props.replicas,
        selector: { matchLabels: selectorLabels(props) },
        // Surge one new pod before any old one goes, so capacity never drops during a rollout.
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(0), maxSurge: k8s.IntOrString.fromNumber(1) },
        },
        template: podTemplate({
          ...props,
          spreadAcrossNodes: props.replicas > 1,
          probes: {
            // Liveness and readiness wait until this passes, so a slow first start is not killed.
            startupProbe: {
              httpGet,
              periodSeconds: props.probes.periodSeconds,
              failureThreshold: props.probes.startupFailureThreshold,
              timeoutSeconds: 2,
            },
            readinessProbe: { httpGet, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
            livenessProbe: { httpGet, periodSeconds: 20, failureThreshold: 3, timeoutSeconds: 2 },
          },
        }),
      },
    });

    new k8s.KubeService(this, 'Service', {
      metadata: { name: props.name, labels: workloadLabels(props) },
      spec: {
        type: 'ClusterIP',
        selector: selectorLabels(props),
        ports: [
          {
            name: HTTP_PORT_NAME,
            port: props.port,
            targetPort: k8s.IntOrString.fromString(HTTP_PORT_NAME),
            protocol: 'TCP',
          },
        ],
      },
    });

    // All but one replica stay up through a drain; a single replica may be evicted.
    new DisruptionBudget(this, 'Budget', { ...props, minAvailable: Math.max(props.replicas - 1, 0) });
  }

  /** The Ingress route to this app: its host to its Service port. */
  get route(): IngressRoute {
    return { host: this.host, serviceName: this.serviceName, port: this.port };
  }
}
