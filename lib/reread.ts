import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as v8 from 'v8';
import { isScalar, parseAllDocuments, Scalar, visit } from 'yaml';
import { codePoint, UNREADABLE_IN_TEXT } from './chars';
import { UserInputError } from './errors';

/**
 * The second wall behind the config schema: before anything is written, each rendered file is
 * read back the way its consumer reads it, and compared with the object the generator built.
 * cloud-init (PyYAML) and kubectl, K3s and Helm (go-yaml) read YAML 1.1, so the text is parsed
 * with the `yaml` package in 1.1 mode. That parser does not treat NEL, U+2028 and U+2029 as
 * line breaks, where PyYAML and go-yaml do, so those characters, every other C0 or C1 control
 * but the line feed, and anything PyYAML refuses are also looked for in the raw text and in
 * every string value (a value may itself be a document: a write_files content, a Helm values
 * string). A difference is a generator bug; it stops the run before anything is written.
 */
export class OutputMismatchError extends UserInputError {
  constructor(file: string, field: string, problem: string) {
    super(
      `${file}: ${field}: ${problem}; nothing was written. The configuration passed validation, so this is a generator bug: please report it with the configuration`,
    );
  }
}

/** Fails if `text` holds a character its YAML 1.1 or JSON reader could read differently. */
function checkCharacters(file: string, field: string, text: string): void {
  const m = UNREADABLE_IN_TEXT.exec(text);
  if (!m) return;
  const line = text.slice(0, m.index).split('\n').length;
  throw new OutputMismatchError(
    file,
    field,
    `line ${line} holds ${codePoint(m[0])}, which YAML 1.1 readers (cloud-init, kubectl) treat as a line break or refuse`,
  );
}

/** The dotted path of the first place `actual` differs from `expected`, or undefined when equal. */
export function firstDifference(expected: unknown, actual: unknown, at = ''): string | undefined {
  const here = at || '(document)';
  if (typeof expected === 'string') {
    const bad = UNREADABLE_IN_TEXT.exec(expected);
    if (bad) return `${here} (holds ${codePoint(bad[0])})`;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return here;
    for (let i = 0; i < expected.length; i++) {
      const d = firstDifference(expected[i], actual[i], `${at}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return here;
    // Undefined members are not written (cdk8s drops them too).
    const keys = (o: object) => Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined);
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    // Own members only: `toString` or `__proto__` in the text is a member no generator wrote.
    const generated = new Set(keys(e));
    const extra = keys(a).find((k) => !generated.has(k));
    if (extra !== undefined) return `${at ? `${at}.` : ''}${extra} (not generated)`;
    for (const k of generated) {
      const d = firstDifference(e[k], a[k], at ? `${at}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(expected, actual) || (expected === undefined && actual === null) ? undefined : here;
}

/**
 * A key for a generated value as the checks and the serializers see it, or undefined when it
 * has none (a function or a symbol in it): such a value is checked in full every time. v8's
 * structured serialization keeps what JSON would lose and what changes the YAML text or the
 * comparison: -0, NaN, undefined, array holes, and an object reached twice (the `yaml`
 * package writes it as an anchor and an alias). It drops prototypes: the values keyed here
 * are plain data (cdk8s's toJson output, our generators' objects).
 */
function valueKey(value: unknown): string | undefined {
  try {
    return createHash('sha256').update(v8.serialize(value)).digest('hex');
  } catch {
    return undefined;
  }
}

/**
 * Reads a YAML stream as a YAML 1.1 reader does and fails unless it holds exactly `expected`,
 * one document per element.
 */
export function rereadYaml(file: string, text: string, expected: readonly unknown[]): void {
  // A (text, objects) pair this process has already verified reads the same again: parsing is
  // a pure function of the text. The key covers the objects too: the same text with other
  // objects is checked in full.
  const objects = valueKey(expected);
  const key = objects && `${createHash('sha256').update(text).digest('hex')}:${objects}`;
  if (key && VERIFIED.has(key)) return;
  checkYaml(file, text, expected);
  if (key) VERIFIED.add(key);
}

/** Keys (sha256 of the text, `valueKey` of the objects) of YAML streams that read back exactly. */
const VERIFIED = new Set<string>();

/**
 * The text of a YAML file of `docs`, as `serialize` writes them, once it reads back as exactly
 * `docs` (`rereadYaml`). Serializing is a pure function of the documents, so documents already
 * serialized and verified in this process get that same text again, with neither a serialize
 * nor a parse: the synth snapshot's warm-up does this for the production manifests while the
 * snapshot is built (the vendored system-upgrade-controller's 80 KB above all), and a run pays
 * one structured serialization and one hash per file. Documents that differ in any value are
 * serialized and checked in full.
 */
export function checkedYamlText(file: string, docs: readonly unknown[], serialize: () => string): string {
  const key = valueKey(docs);
  const known = key === undefined ? undefined : SERIALIZED.get(key);
  if (known !== undefined) return known;
  const text = serialize();
  checkYaml(file, text, docs);
  if (key) SERIALIZED.set(key, text);
  return text;
}

/** `valueKey` of the documents to the text that was written for them and read back exactly. */
const SERIALIZED = new Map<string, string>();

/** The full check behind `rereadYaml` and `checkedYamlText`: no memo. */
function checkYaml(file: string, text: string, expected: readonly unknown[]): void {
  checkCharacters(file, '(text)', text);
  const docs = parseAllDocuments(text, { version: '1.1', uniqueKeys: true });
  const errors = docs.flatMap((d) => d.errors);
  if (errors.length > 0)
    throw new OutputMismatchError(file, '(text)', `not valid YAML 1.1: ${errors[0]!.message.split('\n')[0]}`);
  if (docs.length !== expected.length)
    throw new OutputMismatchError(
      file,
      '(text)',
      `${docs.length} YAML documents where ${expected.length} were generated`,
    );
  docs.forEach((doc, i) => {
    // PyYAML resolves a plain `<<` or `=` to its merge and value tags, which safe_load
    // refuses; the `yaml` package reads both as strings, so look for them here.
    visit(doc, {
      Scalar(_key, node) {
        if (isScalar(node) && node.type === Scalar.PLAIN && (node.value === '<<' || node.value === '=')) {
          const line = node.range ? text.slice(0, node.range[0]).split('\n').length : 0;
          throw new OutputMismatchError(
            file,
            `line ${line}`,
            `a plain ${node.value}, which PyYAML reads as a YAML 1.1 merge or value indicator, not as text`,
          );
        }
      },
    });
    const where = firstDifference(expected[i], doc.toJS({ maxAliasCount: 0 }));
    if (where)
      throw new OutputMismatchError(
        file,
        expected.length > 1 ? `document ${i + 1}, ${where}` : where,
        'reads differently as YAML 1.1 than it was generated',
      );
  });
}

/** Reads a JSON text and fails unless it holds exactly `expected`. */
export function rereadJson(file: string, text: string, expected: unknown): void {
  checkCharacters(file, '(text)', text);
  const where = firstDifference(expected, JSON.parse(text));
  if (where) throw new OutputMismatchError(file, where, 'reads differently as JSON than it was generated');
}

/**
 * Checks the manifests cdk8s wrote into `dir` (one `*.k8s.yaml` file per chart, named in chart
 * order) against the objects of each chart. Errors name the files as `shownAs/<file>`.
 */
export function rereadManifests(dir: string, charts: readonly (readonly unknown[])[], shownAs: string): void {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .sort();
  if (files.length !== charts.length)
    throw new OutputMismatchError(shownAs, '(files)', `${files.length} manifest files for ${charts.length} charts`);
  files.forEach((f, i) => rereadYaml(path.join(shownAs, f), fs.readFileSync(path.join(dir, f), 'utf8'), charts[i]!));
}

/** What a structured write_files entry must hold when read back: YAML (one document) or JSON. */
export type EmbeddedFile = { readonly yaml: unknown } | { readonly json: unknown };

/**
 * Checks one node's user-data: the whole cloud-config, then each structured file inside it
 * (the K3s config.yaml, Flannel's JSON), keyed by its write_files path.
 */
export function rereadCloudInit(
  file: string,
  text: string,
  expected: { readonly write_files: readonly { readonly path: string; readonly content: string }[] } & Record<
    string,
    unknown
  >,
  embedded: Readonly<Record<string, EmbeddedFile>>,
): void {
  rereadYaml(file, text, [expected]);
  for (const [i, f] of expected.write_files.entries()) {
    const want = embedded[f.path];
    if (!want) continue;
    const where = `${file} write_files[${i}] ${f.path}`;
    if ('yaml' in want) rereadYaml(where, f.content, [want.yaml]);
    else rereadJson(where, f.content, want.json);
  }
  const missing = Object.keys(embedded).find((p) => !expected.write_files.some((f) => f.path === p));
  if (missing) throw new OutputMismatchError(file, 'write_files', `${missing} was expected but not generated`);
}
