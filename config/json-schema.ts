import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { configSchema } from './schema';
import { JSON_SCHEMA_FILE } from './schema-file';

export { JSON_SCHEMA_FILE };

/**
 * The config schema as JSON Schema, for the YAML language server: the `.describe()` texts
 * become hover documentation. `io: 'input'`, because the file may omit defaulted fields.
 */
export function configJsonSchema(): string {
  return `${JSON.stringify(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }), null, 2)}\n`;
}

export function writeConfigJsonSchema(file: string = JSON_SCHEMA_FILE): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, configJsonSchema());
}
