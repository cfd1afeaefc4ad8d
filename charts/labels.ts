/** Labels shared by every object of one workload, and the subset its selectors use. */
export interface WorkloadLabelsProps {
  /** Workload name: `api`, `admin`, `worker`, `redis`. */
  readonly name: string;
  /** Role in the stack (`app.kubernetes.io/component`). */
  readonly component: string;
  /** Stack name (`app.kubernetes.io/part-of`). */
  readonly partOf: string;
}

/**
 * Selector labels: stable for the life of the workload, because a Deployment's selector is
 * immutable. Two labels, so no other part-of's pod named the same can be selected.
 */
export function selectorLabels(props: Pick<WorkloadLabelsProps, 'name' | 'partOf'>): Record<string, string> {
  return { 'app.kubernetes.io/name': props.name, 'app.kubernetes.io/part-of': props.partOf };
}

/** All recommended labels (https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/). */
export function workloadLabels(props: WorkloadLabelsProps): Record<string, string> {
  return {
    ...selectorLabels(props),
    'app.kubernetes.io/instance': `${props.partOf}-${props.name}`,
    'app.kubernetes.io/component': props.component,
  };
}

/** Labels every object of the stack carries, so `kubectl apply --prune -l` finds them all. */
export function stackLabels(partOf: string): Record<string, string> {
  return { 'app.kubernetes.io/part-of': partOf, 'app.kubernetes.io/managed-by': 'cdk8s' };
}
