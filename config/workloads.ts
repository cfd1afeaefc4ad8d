import { z } from 'zod';
import { dnsLabel, dnsName, isSloppyIPv4, port } from './net';
import { image, int32, NONROOT_UID, resources, runAsUser } from './pod-fields';
import { memoryAmount } from './quantity';
import { envValue, text } from './text';

/** The workloads of the honeydue namespace: api, admin, worker and redis. */

const secretNames = z
  .array(dnsName)
  .default([])
  .describe(
    'Secrets whose keys become environment variables (envFrom). They are created out of band (see README); manifests only reference them.',
  );

const env = z
  .record(
    text.regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name in UPPER_SNAKE_CASE'),
    // cdk8s writes these two unquoted, and PyYAML reads a bare << or = as a YAML 1.1 merge or value indicator.
    envValue.refine(
      (v) => v !== '<<' && v !== '=',
      'a value of exactly "<<" or "=" is read by YAML 1.1 readers (PyYAML) as a merge or value indicator; choose another value',
    ),
  )
  .default({})
  .describe(
    "Plain, non-secret environment variables. Values are any printable text up to 32 KiB (an app's variables together up to 128 KiB): no control characters, Unicode line or paragraph separators, byte-order mark, bidi controls or zero-width characters.",
  );

/** An absolute URL path with an optional query, RFC 3986 characters only (pchar, "/", "?"). */
const URL_PATH =
  /^\/([A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*(\?([A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$/;

const probes = (startupFailureThreshold: number) =>
  z
    .strictObject({
      path: text
        .regex(
          URL_PATH,
          'expected an absolute HTTP path such as /healthz (RFC 3986 characters only; escape others as %XX)',
        )
        .describe('HTTP path (and optional query) of the startup, readiness and liveness probes.'),
      periodSeconds: int32(1).default(5).describe('Probe period in seconds.'),
      startupFailureThreshold: int32(1)
        .default(startupFailureThreshold)
        .describe('Startup probe failures tolerated; periodSeconds × this is the longest allowed start.'),
    })
    .describe('HTTP probes of the workload.');

/**
 * An Ingress rule's host: a DNS name. Kubernetes refuses an IP address there (it parses the
 * host with ParseIPSloppy, so 010.0.0.1 counts too), and the name pattern alone would let a
 * dotted quad through.
 */
const ingressHost = dnsName.refine((host) => !isSloppyIPv4(host), {
  message:
    'an IP address is not a host name: Kubernetes refuses an Ingress rule whose host is an IP address; ' +
    'use the DNS name the requests carry, such as api.myhoneydue.com',
});

/** What every workload of the namespace has: its image, resources, user and environment. */
const workload = z.strictObject({
  image,
  resources,
  runAsUser: runAsUser.default(NONROOT_UID),
  secretEnv: secretNames,
  env,
});

/** One HTTP workload: the shape of apps.api and apps.admin, also used by the benchmark’s generated configs. */
export const webApp = (defaults: { replicas: number; startupFailureThreshold: number }) =>
  workload.extend({
    replicas: int32(1).default(defaults.replicas).describe('Pod replicas, spread across nodes.'),
    port: port.describe('Container port; the Service and the Ingress backend use the same number.'),
    host: ingressHost.describe(
      'Public host name routed to this workload by the Ingress: a DNS name, never an IP address, and no other app’s.',
    ),
    probes: probes(defaults.startupFailureThreshold),
  });

export const apps = z
  .strictObject({
    api: webApp({ replicas: 3, startupFailureThreshold: 48 }).describe(
      'Go HTTP API (also serves the marketing landing page). startupFailureThreshold 48 × 5 s = 240 s: MigrateWithLock serializes migrations across the replicas on first boot.',
    ),
    admin: webApp({ replicas: 2, startupFailureThreshold: 24 }).describe(
      'Next.js admin UI. Probe path "/": "/admin/" returns 404 and got pods killed.',
    ),
    worker: workload
      .extend({
        replicas: z
          .literal(1, {
            error:
              'worker replicas must be exactly 1: the Asynq scheduler inside the worker is a singleton, and a second replica would enqueue every scheduled job twice',
          })
          .default(1)
          .describe('Always 1: the Asynq scheduler is a singleton.'),
      })
      .describe('Asynq worker and scheduler. No Service.'),
    redis: z
      .strictObject({
        image,
        port: port
          .default(6379)
          .describe('Redis port, used by the Service and by the REDIS_ADDR the api and worker receive.'),
        storage: memoryAmount
          .default('5Gi')
          .describe('Size of the PersistentVolumeClaim holding the append-only file.'),
        storageClass: dnsLabel.default('local-path').describe('StorageClass of the claim. K3s ships local-path.'),
        resources,
        runAsUser: runAsUser.default(999),
      })
      .describe('Redis: cache and Asynq queue state, persisted with AOF so queued jobs survive a restart.'),
  })
  .describe('The workloads of the honeydue namespace.');
