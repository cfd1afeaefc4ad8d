import * as ejs from 'ejs';
import * as fs from 'fs';
import * as path from 'path';

/**
 * ejs renders the text files that are neither YAML nor JSON (systemd units, UFW's rule
 * files). Templates are read once, when this module loads.
 */
const TEMPLATE_DIR = path.join(__dirname, 'templates');
const cache = new Map<string, ejs.TemplateFunction>();

export function renderTemplate(name: string, data: Record<string, unknown>): string {
  let fn = cache.get(name);
  if (!fn) {
    const file = path.join(TEMPLATE_DIR, `${name}.ejs`);
    // Default (non-strict) ejs evaluates inside `with (locals)`: a misspelt name throws.
    fn = ejs.compile(fs.readFileSync(file, 'utf8'), { filename: file });
    cache.set(name, fn);
  }
  return fn(data);
}

/**
 * A word safe to place in a systemd unit line: systemd splits on whitespace, honours quotes
 * and backslashes, and expands % specifiers and $ variables. A value with any of those is
 * refused rather than escaped, because every value here comes from validated config.
 */
export function unitWord(value: string): string {
  if (!/^[A-Za-z0-9_@:/.,=+~-]+$/.test(value)) {
    throw new Error(`refusing to place ${JSON.stringify(value)} in a systemd unit: only letters, digits and _@:/.,=+~- are allowed`);
  }
  return value;
}
