import * as fs from 'fs';
import * as path from 'path';
import { stringify } from 'yaml';
import * as load from '../config/load';
import {
  checkedYamlText,
  firstDifference,
  OutputMismatchError,
  rereadCloudInit,
  rereadJson,
  rereadYaml,
} from '../lib/reread';
import { SYNTH_MARKER } from '../lib/replace-dir';
import { run } from '../main';
import { production, tempDir, TEST_TOKEN } from './support';

describe('the re-read (second wall) compares what a YAML 1.1 reader sees with what was built', () => {
  test('the same objects pass', () => {
    const objects = [{ a: 'yes', b: ['0644', 1, true], c: { d: null } }, { e: 'x' }];
    expect(() =>
      rereadYaml('f.yaml', objects.map((o) => stringify(o, { version: '1.1' })).join('---\n'), objects),
    ).not.toThrow();
  });

  test('a text verified once passes again without a parse, but the same text with other objects is checked in full', () => {
    const text = 'a: b\ncount: 1\n';
    expect(() => rereadYaml('f.yaml', text, [{ a: 'b', count: 1 }])).not.toThrow();
    expect(() => rereadYaml('f.yaml', text, [{ a: 'b', count: 1 }])).not.toThrow();
    expect(() => rereadYaml('f.yaml', text, [{ a: 'b', count: '1' }])).toThrow(
      new OutputMismatchError('f.yaml', 'count', 'reads differently as YAML 1.1 than it was generated'),
    );
    expect(() => rereadYaml('f.yaml', 'a: b\ncount: "1"\n', [{ a: 'b', count: 1 }])).toThrow(
      /^f\.yaml: count: reads differently/,
    );
  });

  test('the memo tells apart what JSON would not: a text verified for 0 is re-checked for -0, null for NaN', () => {
    expect(() => rereadYaml('f.yaml', 'count: 0\n', [{ count: 0 }])).not.toThrow();
    expect(() => rereadYaml('f.yaml', 'count: 0\n', [{ count: -0 }])).toThrow(/^f\.yaml: count: reads differently/);
    expect(() => rereadYaml('f.yaml', 'count: null\n', [{ count: null }])).not.toThrow();
    expect(() => rereadYaml('f.yaml', 'count: null\n', [{ count: NaN }])).toThrow(/^f\.yaml: count: reads differently/);
  });

  test('a member no generator wrote is refused, also one every object has by inheritance (toString, __proto__)', () => {
    for (const key of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(() => rereadYaml('f.yaml', `a: b\n${key}: x\n`, [{ a: 'b' }])).toThrow(
        `f.yaml: ${key} (not generated): reads differently`,
      );
    }
  });

  test('a YAML 1.2 `yes` is a boolean to a YAML 1.1 reader: refused, naming the field', () => {
    expect(() => rereadYaml('cloud-init/n1.yaml', stringify({ 'node-name': 'yes' }), [{ 'node-name': 'yes' }])).toThrow(
      new OutputMismatchError('cloud-init/n1.yaml', 'node-name', 'reads differently as YAML 1.1 than it was generated'),
    );
  });

  test('NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR are line breaks to YAML 1.1: refused wherever they stand', () => {
    for (const c of ['\u0085', '\u2028', '\u2029']) {
      const text = `# header${c}bootcmd: [[touch, /tmp/pwned]]\na: b\n`;
      expect(() => rereadYaml('f.yaml', text, [{ a: 'b' }])).toThrow(
        /^f\.yaml: \(text\): line 1 holds U\+(0085|2028|2029), which YAML 1\.1 readers/,
      );
    }
  });

  test('a control character escaped in a double-quoted string is still refused: the value may be a document itself', () => {
    expect(() => rereadYaml('f.yaml', 'a: "x\\Ly"\n', [{ a: 'x\u2028y' }])).toThrow(
      /^f\.yaml: a \(holds U\+2028\): reads differently/,
    );
  });

  test('a plain `<<` or `=`, which PyYAML refuses as merge or value indicator, is refused', () => {
    expect(() => rereadYaml('f.yaml', 'a: =\n', [{ a: '=' }])).toThrow(
      /^f\.yaml: line 1: a plain =, which PyYAML reads as a YAML 1\.1 merge or value indicator/,
    );
    expect(() => rereadYaml('f.yaml', 'a: <<\n', [{ a: '<<' }])).toThrow(/a plain <<, which PyYAML/);
    expect(() => rereadYaml('f.yaml', 'a: "="\n', [{ a: '=' }])).not.toThrow();
  });

  test('an extra top-level key or document is refused', () => {
    expect(() => rereadYaml('f.yaml', 'a: b\nbootcmd: [x]\n', [{ a: 'b' }])).toThrow(
      /^f\.yaml: bootcmd \(not generated\)/,
    );
    expect(() => rereadYaml('f.yaml', 'a: b\n---\nc: d\n', [{ a: 'b' }])).toThrow(
      /2 YAML documents where 1 were generated/,
    );
  });

  test('JSON is compared the same way', () => {
    expect(() => rereadJson('n.json', '{"Network":"10.42.0.0/16"}', { Network: '10.42.0.0/16' })).not.toThrow();
    expect(() => rereadJson('n.json', '{"Network":"10.42.0.0/15"}', { Network: '10.42.0.0/16' })).toThrow(
      /^n\.json: Network: reads differently as JSON/,
    );
  });

  test('firstDifference names the deepest differing field', () => {
    expect(firstDifference({ a: [{ b: 1 }, { c: 'x' }] }, { a: [{ b: 1 }, { c: 'y' }] })).toBe('a[1].c');
    expect(firstDifference({ a: 1 }, { a: 1 })).toBeUndefined();
    expect(firstDifference({ a: undefined }, {})).toBeUndefined();
  });

  test('an embedded K3s config that a YAML 1.1 reader reads differently is refused, naming the write_files entry', () => {
    const expected = {
      write_files: [{ path: '/etc/rancher/k3s/config.yaml', content: stringify({ 'node-name': 'on' }) }],
      runcmd: [],
    };
    const text = `#cloud-config\n${stringify(expected, { version: '1.1' })}`;
    expect(() =>
      rereadCloudInit('cloud-init/n1.yaml', text, expected, {
        '/etc/rancher/k3s/config.yaml': { yaml: { 'node-name': 'on' } },
      }),
    ).toThrow(
      /^cloud-init\/n1\.yaml write_files\[0\] \/etc\/rancher\/k3s\/config\.yaml: node-name: reads differently as YAML 1\.1/,
    );
  });
});

describe('checkedYamlText: each set of documents is serialized once, and its text read back before it is used', () => {
  const yaml11 = (docs: unknown[]) => () => docs.map((d) => stringify(d, { version: '1.1' })).join('---\n');

  test('the same documents again (equal, not the same objects) get the verified text, unserialized, unparsed', () => {
    const serialize = jest.fn(yaml11([{ kind: 'A', count: 1 }, { kind: 'B' }]));
    const first = checkedYamlText('m.yaml', [{ kind: 'A', count: 1 }, { kind: 'B' }], serialize);
    expect(first).toBe('kind: A\ncount: 1\n---\nkind: B\n');
    expect(checkedYamlText('m.yaml', [{ kind: 'A', count: 1 }, { kind: 'B' }], serialize)).toBe(first);
    expect(serialize).toHaveBeenCalledTimes(1);
  });

  test('documents that differ in any value, even 0 and -0, are serialized and checked again', () => {
    const serialize = jest.fn(() => 'kind: A\ncount: 0\n');
    expect(checkedYamlText('m.yaml', [{ kind: 'A', count: 0 }], serialize)).toBe('kind: A\ncount: 0\n');
    expect(() => checkedYamlText('m.yaml', [{ kind: 'A', count: -0 }], serialize)).toThrow(
      /^m\.yaml: count: reads differently as YAML 1\.1/,
    );
    expect(serialize).toHaveBeenCalledTimes(2);
  });

  test('a text that reads back differently is refused every time: a failure is not remembered', () => {
    const serialize = jest.fn(() => 'kind: A\nport: "80"\n');
    for (let i = 0; i < 2; i++)
      expect(() => checkedYamlText('m.yaml', [{ kind: 'A', port: 80 }], serialize)).toThrow(
        new OutputMismatchError('m.yaml', 'port', 'reads differently as YAML 1.1 than it was generated'),
      );
    expect(serialize).toHaveBeenCalledTimes(2);
  });

  test('documents with a function in them have no key: they are serialized and checked on every call', () => {
    const docs = [{ kind: 'A', hook: () => 1 }];
    const serialize = jest.fn(() => 'kind: A\n');
    for (let i = 0; i < 2; i++)
      expect(() => checkedYamlText('m.yaml', docs, serialize)).toThrow(/^m\.yaml: hook: reads differently/);
    expect(serialize).toHaveBeenCalledTimes(2);
  });
});

test('a manifest the re-read refuses stops the CLI with error:, exit 1, and dist/ exactly as it was', async () => {
  const config = production();
  // The schema would refuse this value; the wall must hold on its own.
  const bypassed = {
    ...config,
    apps: { ...config.apps, api: { ...config.apps.api, env: { DB_SSLMODE: 'require\u0085bootcmd: x' } } },
  };
  const spy = jest.spyOn(load, 'loadConfig').mockReturnValue(bypassed);
  const stderr = jest.spyOn(console, 'error').mockImplementation(() => {});
  const out = path.join(tempDir('wall'), 'dist');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'previous.k8s.yaml'), 'kind: Previous\n');
  // A previous synth's output (it carries the marker), so the run gets as far as the re-read.
  fs.writeFileSync(path.join(out, SYNTH_MARKER), '');
  try {
    expect(await run([], { CDK8S_OUTDIR: out, K3S_TOKEN: TEST_TOKEN })).toBe(1);
    expect(stderr.mock.calls[0]![0]).toMatch(
      new RegExp(
        `^error: ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/0002-api\\.k8s\\.yaml: .*U\\+0085.*nothing was written`,
      ),
    );
  } finally {
    spy.mockRestore();
    stderr.mockRestore();
  }
  expect(fs.readdirSync(out).sort()).toEqual([SYNTH_MARKER, 'previous.k8s.yaml']);
  expect(fs.readdirSync(path.dirname(out))).toEqual(['dist']);
});
