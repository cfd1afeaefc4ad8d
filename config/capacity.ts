import { bytes, millicores } from './quantity';

/**
 * What the capacity check reads, as its own type: the schema calls the check, so the check
 * must not import the schema's types.
 */
export interface CapacityInput {
  /** Every workload: how many pods, and what each requests. */
  readonly workloads: readonly {
    readonly replicas: number;
    readonly requests: { readonly cpu: string; readonly memory: string };
  }[];
  readonly nodes: number;
  readonly nodeCapacity: { readonly cpu: string; readonly memory: string };
  readonly systemReserved: { readonly cpu: string; readonly memory: string };
}

export interface CapacityReport {
  /** Sum of every pod's requests: millicores and bytes. */
  readonly requested: { readonly cpu: number; readonly memory: number };
  /** What the nodes offer the workloads with one node drained. */
  readonly allocatableOneNodeDown: { readonly cpu: number; readonly memory: number };
}

/** Requests of every workload pod, and what the nodes offer after system pods with one node down. */
export function capacityReport(input: CapacityInput): CapacityReport {
  const { workloads } = input;
  const requested = {
    cpu: workloads.reduce((sum, w) => sum + w.replicas * millicores(w.requests.cpu), 0),
    memory: workloads.reduce((sum, w) => sum + w.replicas * bytes(w.requests.memory), 0),
  };
  const perNode = {
    cpu: millicores(input.nodeCapacity.cpu) - millicores(input.systemReserved.cpu),
    memory: bytes(input.nodeCapacity.memory) - bytes(input.systemReserved.memory),
  };
  const survivors = Math.max(input.nodes - 1, 1);
  return { requested, allocatableOneNodeDown: { cpu: perNode.cpu * survivors, memory: perNode.memory * survivors } };
}
