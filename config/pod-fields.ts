import { z } from 'zod';
import { INT32_MAX, MAX_UID } from './kubernetes';
import { bytes, cpuRequest, memoryAmount } from './quantity';
import { text } from './text';

/**
 * Fields every pod of the stack has, whoever runs it: the image, the resources, the user, and
 * the int32 bound of Kubernetes' numbers. The workloads (workloads.ts) and Traefik (k3s.ts)
 * share them.
 */

/** Pinned image reference: a tag other than `latest`, or a digest. */
export const image = text
  .regex(
    /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
    'expected an image reference such as ghcr.io/owner/name:1.2.3',
  )
  .refine((ref) => /:[A-Za-z0-9_][A-Za-z0-9_.-]*$|@sha256:/.test(ref.replace(/^[^/]*:[0-9]+\//, '')), {
    message:
      'image has no tag; pin a version tag (name:1.2.3) or a digest (name@sha256:…) so every node runs the same build',
  })
  .refine((ref) => !/:latest(@|$)/.test(ref), {
    message: 'image uses the mutable tag "latest"; pin a version tag or a digest so a restart cannot change the build',
  })
  .describe('Container image, pinned by a version tag or a digest. `latest` and untagged images are refused.');

export const resources = z
  .strictObject({
    cpu: cpuRequest.describe('CPU request per pod.'),
    memory: memoryAmount.describe('Memory request per pod.'),
    memoryLimit: memoryAmount.describe(
      'Memory limit per pod. No CPU limit is set: CPU limits throttle latency-sensitive Go and Node processes without protecting anything memory limits do not.',
    ),
  })
  .refine((r) => bytes(r.memoryLimit) >= bytes(r.memory), {
    message: 'memoryLimit is below the memory request; the limit must be at least the request',
    path: ['memoryLimit'],
  })
  .describe('Requests and limits of one pod. Requests are what the capacity check sums.');

/** The UID (and GID) the non-root containers run as unless configured: distroless's `nonroot`. */
export const NONROOT_UID = 65532;

/**
 * A whole number that lands in an int32 field of a manifest (OpenAPI `format: int32`):
 * Kubernetes cannot store a larger one.
 */
export const int32 = (min: number) =>
  z
    .number()
    // First, and the last check when it fails: a 25-digit number is one plain message, not
    // zod's safe-integer bound beside it, nor the cross-field checks computing with it.
    .max(INT32_MAX, {
      message:
        `expected at most ${INT32_MAX}: the Kubernetes field is a 32-bit integer (int32), ` +
        'so the API server refuses a larger number',
      abort: true,
    })
    .int({ message: 'expected a whole number', abort: true })
    .min(min, { message: `expected at least ${min}`, abort: true });

export const runAsUser = z
  .number()
  .int()
  .min(1, 'runAsUser 0 is root; the pods run as non-root')
  .max(
    MAX_UID,
    `expected a UID of at most ${MAX_UID}: Kubernetes refuses larger UIDs and GIDs ` +
      `(the field is 64-bit, but its check allows 0 to ${MAX_UID})`,
  )
  .describe(
    'Numeric UID the container runs as. runAsNonRoot cannot verify a non-numeric image USER, so it is set explicitly.',
  );
