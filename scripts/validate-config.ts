import * as fs from 'fs';
import * as v8 from 'v8';
import { parseConfig } from '../config/load';

/**
 * Validates a configuration for the synth snapshot's build (scripts/build.js), in a process of
 * its own, and writes the text with its result: the snapshot then holds the validated
 * configuration without the schema that validated it. Usage: node validate-config.js IN OUT.
 */
const [file, out] = process.argv.slice(2);
try {
  const text = fs.readFileSync(file!, 'utf8');
  fs.writeFileSync(out!, v8.serialize({ text, config: parseConfig(text, file!) }));
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
}
