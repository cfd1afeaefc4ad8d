import * as path from 'path';

/**
 * Where `npm run schema` writes the JSON Schema that cluster.yaml's modeline points editors at.
 * Apart from config/json-schema.ts, so that naming the file does not load the schema (zod).
 */
export const JSON_SCHEMA_FILE = path.join('.schema', 'cluster.schema.json');
