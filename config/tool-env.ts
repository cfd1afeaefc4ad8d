/**
 * Environment variables the charts set on a workload themselves, from other parts of the
 * configuration. A chart sets them after the app's own `env`, so the same name there would be
 * replaced without a word: the schema refuses it instead. The charts take the names from here,
 * and test/config-table.test.ts checks that every variable a chart adds is listed.
 */

/** host:port of the Redis Service (apps.redis.port), for the Asynq queues and the cache. */
export const REDIS_ADDR = 'REDIS_ADDR';

const REDIS = 'the address of the Redis Service, redis:<apps.redis.port>; to change it, change apps.redis.port';

/** Per app, each variable its chart sets: what it holds, and where to change it. */
export const TOOL_ENV: Readonly<Record<'api' | 'admin' | 'worker', Readonly<Record<string, string>>>> = {
  api: { [REDIS_ADDR]: REDIS },
  admin: {},
  worker: { [REDIS_ADDR]: REDIS },
};
