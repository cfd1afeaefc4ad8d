import * as ejs from 'ejs';
import * as fs from 'fs';
import * as path from 'path';

/**
 * ejs renders the text files that are neither YAML nor JSON (systemd units, UFW's rule
 * files). Every template is read and compiled when this module loads, so the fast synth's
 * start-up snapshot already holds them compiled (see scripts/build.js).
 */
const TEMPLATE_DIR = path.join(__dirname, 'templates');
const templates = new Map<string, ejs.TemplateFunction>(
  fs
    .readdirSync(TEMPLATE_DIR)
    .filter((f) => f.endsWith('.ejs'))
    .map((f) => {
      const file = path.join(TEMPLATE_DIR, f);
      // Default (non-strict) ejs evaluates inside `with (locals)`: a misspelt name throws.
      return [f.slice(0, -'.ejs'.length), ejs.compile(fs.readFileSync(file, 'utf8'), { filename: file })];
    }),
);

export function renderTemplate(name: string, data: Record<string, unknown>): string {
  const fn = templates.get(name);
  if (!fn) throw new Error(`no template ${name}.ejs in ${TEMPLATE_DIR}`);
  return fn(data);
}

/**
 * A word that means itself in every line-oriented text the templates write: systemd units
 * split on whitespace, honour quotes and backslashes, and expand % specifiers and $
 * variables; iptables-restore lines (ufw's rule files) split on whitespace and honour quotes
 * and `#`. A value with any of those is refused rather than escaped, because every value
 * here comes from validated config.
 */
export function plainWord(value: string): string {
  if (!/^[A-Za-z0-9_@:/.,=+~-]+$/.test(value)) {
    throw new Error(
      `refusing to place ${JSON.stringify(value)} in a unit or rule file: only letters, digits and _@:/.,=+~- are allowed`,
    );
  }
  return value;
}
