import * as k8s from '../../imports/k8s';
import { selectorLabels, workloadLabels, type WorkloadLabelsProps } from '../labels';

/** Requests and limits of one pod, as validated by the config schema. */
export interface PodResources {
  readonly cpu: string;
  readonly memory: string;
  readonly memoryLimit: string;
}

export interface PodTemplateProps extends WorkloadLabelsProps {
  /** Pinned image reference. */
  readonly image: string;
  /** CPU and memory requests and the memory limit. No CPU limit: throttling hurts latency more than it protects. */
  readonly resources: PodResources;
  /** Numeric UID and GID; runAsNonRoot cannot check a non-numeric image USER. */
  readonly runAsUser: number;
  /** Container command arguments. @default - the image's own */
  readonly args?: string[];
  /** Container port. @default - none */
  readonly port?: number;
  /** Name of the container port, which probes and Services refer to. @default 'http' */
  readonly portName?: string;
  /** Secrets loaded with envFrom. @default [] */
  readonly secretEnv?: readonly string[];
  /** Plain environment variables. @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** Probes of the container. @default - none */
  readonly probes?: Pick<k8s.Container, 'startupProbe' | 'readinessProbe' | 'livenessProbe'>;
  /**
   * Mounts beyond the /tmp emptyDir every pod gets. A mount without `source` names a
   * StatefulSet volumeClaimTemplate. @default []
   */
  readonly mounts?: readonly PodMount[];
  /**
   * Root filesystem read-only. Next.js writes its image and ISR cache under .next/,
   * so the admin UI turns this off.
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;
  /**
   * Spread replicas across nodes so one node loss takes at most one replica. For Deployment
   * pods only: the constraint counts the pods of one ReplicaSet (`pod-template-hash`).
   * @default false
   */
  readonly spreadAcrossNodes?: boolean;
}

export interface PodMount {
  readonly name: string;
  readonly mountPath: string;
  /** The pod volume's source. @default - a volumeClaimTemplate of the same name */
  readonly source?: Omit<k8s.Volume, 'name'>;
}

/** The label a Deployment's ReplicaSet sets on its pods, one value per pod template. */
export const POD_TEMPLATE_HASH = 'pod-template-hash';

/** Default container port name used by probes, Services and Ingress backends. */
export const HTTP_PORT_NAME = 'http';

/**
 * A pod template that passes the `restricted` Pod Security Standard: non-root, no privilege
 * escalation, no capabilities, RuntimeDefault seccomp.
 */
export function podTemplate(props: PodTemplateProps): k8s.PodTemplateSpec {
  const mounts: PodMount[] = [{ name: 'tmp', mountPath: '/tmp', source: { emptyDir: {} } }, ...(props.mounts ?? [])];
  return {
    metadata: { labels: workloadLabels(props) },
    spec: {
      // The pods never call the Kubernetes API.
      automountServiceAccountToken: false,
      // Service links would inject REDIS_PORT=tcp://… into every pod and shadow the app's own settings.
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: props.runAsUser,
        runAsGroup: props.runAsUser,
        fsGroup: props.runAsUser,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      topologySpreadConstraints: props.spreadAcrossNodes
        ? [
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'DoNotSchedule',
              // A down node is tainted; honouring taints keeps it out of the skew so the
              // replacement replica can still schedule on the two healthy nodes.
              nodeTaintsPolicy: 'Honor',
              labelSelector: { matchLabels: selectorLabels(props) },
              // Count only pods of the same ReplicaSet (the label a Deployment's ReplicaSet puts
              // on its pods). Otherwise the old ReplicaSet's pods, about to go, count during a
              // rollout, and the new ones can end up 2/1/0 across the nodes, so one node loss
              // takes two replicas: the Kubernetes docs recommend this for Deployments.
              matchLabelKeys: [POD_TEMPLATE_HASH],
            },
          ]
        : undefined,
      containers: [
        {
          name: props.name,
          image: props.image,
          args: props.args,
          ports:
            props.port === undefined
              ? undefined
              : [{ name: props.portName ?? HTTP_PORT_NAME, containerPort: props.port, protocol: 'TCP' }],
          envFrom: props.secretEnv?.length ? props.secretEnv.map((name) => ({ secretRef: { name } })) : undefined,
          env:
            props.env && Object.keys(props.env).length
              ? Object.entries(props.env).map(([name, value]) => ({ name, value }))
              : undefined,
          resources: {
            requests: {
              cpu: k8s.Quantity.fromString(props.resources.cpu),
              memory: k8s.Quantity.fromString(props.resources.memory),
            },
            limits: { memory: k8s.Quantity.fromString(props.resources.memoryLimit) },
          },
          securityContext: {
            allowPrivilegeEscalation: false,
            privileged: false,
            readOnlyRootFilesystem: props.readOnlyRootFilesystem ?? true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
          volumeMounts: mounts.map((m) => ({ name: m.name, mountPath: m.mountPath })),
          ...props.probes,
        },
      ],
      volumes: mounts.flatMap((m) => (m.source ? [{ name: m.name, ...m.source }] : [])),
    },
  };
}
