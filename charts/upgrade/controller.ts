import { ApiObject } from 'cdk8s';
import type { Construct } from 'constructs';
import { parseAllDocuments } from 'yaml';
import { STACK_NAMESPACES } from '../../config/namespaces';
import { readRepoFile } from '../../lib/repo-file';
import { StackChart, type StackChartProps } from '../stack-chart';

/** The pinned system-upgrade-controller release (vendor/system-upgrade-controller/<tag>/ORIGIN.md). */
export const SUC_RELEASE = 'v0.20.1';
/** The release's install manifest (kustomize build of the tag, as its release workflow makes it). */
export const SUC_MANIFEST = `vendor/system-upgrade-controller/${SUC_RELEASE}/system-upgrade-controller.yaml`;
/** The Plan CRD of the same tag; `npm run import` generates imports/upgrade.cattle.io.ts from it. */
export const PLAN_CRD = 'crds/upgrade.cattle.io_plans.yaml';

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

function manifests(file: string): Manifest[] {
  return parseAllDocuments(readRepoFile(file)).map((d) => d.toJS() as Manifest);
}

// Read once at module load: the synth snapshot carries them, and a change to either file
// rebuilds the snapshot (scripts/build.js lists them as inputs).
const CRD_OBJECTS = manifests(PLAN_CRD);
const RELEASE_OBJECTS = manifests(SUC_MANIFEST);

function only(kind: string): Manifest {
  const found = RELEASE_OBJECTS.filter((o) => o.kind === kind);
  if (found.length !== 1) throw new Error(`${SUC_MANIFEST}: expected one ${kind}, found ${found.length}`);
  return found[0]!;
}

// The config refuses this namespace for the workloads (config/namespaces.ts): a release that
// moves the controller elsewhere must move that refusal with it.
if (only('Namespace').metadata.name !== STACK_NAMESPACES.systemUpgrade)
  throw new Error(
    `${SUC_MANIFEST}: its Namespace is ${only('Namespace').metadata.name}, not ${STACK_NAMESPACES.systemUpgrade}: update config/namespaces.ts`,
  );

/**
 * system-upgrade-controller at the pinned release: the Plan CRD, then the release manifest
 * (Namespace `system-upgrade` with Pod Security `privileged`, because the upgrade Jobs mount
 * the host root; RBAC; the controller Deployment on a control-plane node), unchanged but for
 * the stack's labels. The CRD sorts in this chart's file, before any Plan: Plans go in a later
 * chart (and so a later file of dist/).
 */
export class UpgradeControllerChart extends StackChart {
  /** Namespace the controller runs in and the Plans live in, as the release names it. (Not `namespace`: that field of a Chart would put every object of the chart there.) */
  readonly planNamespace: string = only('Namespace').metadata.name;
  /** Service account the upgrade Jobs run as (the release's only one). */
  readonly serviceAccountName: string = only('ServiceAccount').metadata.name;

  constructor(scope: Construct, id: string, props: Omit<StackChartProps, 'namespace'>) {
    super(scope, id, { partOf: props.partOf });
    const [namespace, ...rest] = RELEASE_OBJECTS;
    // Namespace first, then the CRD, then the rest in the release's order.
    for (const o of [namespace!, ...CRD_OBJECTS, ...rest]) {
      const { apiVersion, kind, metadata, ...body } = o;
      new ApiObject(this, `${kind}-${metadata.name}`, { apiVersion, kind, metadata, ...body });
    }
  }
}
