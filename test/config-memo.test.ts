import * as fs from 'fs';
import * as path from 'path';
import { ConfigError, parseConfig, rememberConfig } from '../config/load';
import { configSchema } from '../config/schema';

const TEXT = fs.readFileSync(path.join(__dirname, '..', 'cluster.yaml'), 'utf8');

describe('a configuration text validated once is not parsed again (config/load.ts)', () => {
  /** Counts the schema validations from here on. */
  const validations = () => jest.spyOn(configSchema, 'safeParse');
  afterEach(() => jest.restoreAllMocks());

  test('the same text gets an equal config without being validated again, whatever file it came from', () => {
    const text = `${TEXT}\n# once\n`;
    const spy = validations();
    const first = parseConfig(text, 'cluster.yaml');
    expect(parseConfig(text, 'cluster.yaml')).toEqual(first);
    expect(parseConfig(text, 'elsewhere/cluster.yaml')).toEqual(first);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  test('each caller gets its own copy: changing one changes neither the next nor the remembered one', () => {
    const a = parseConfig(TEXT, 'cluster.yaml');
    a.apps.api.replicas = 99;
    a.cluster.nodes.pop();
    const b = parseConfig(TEXT, 'cluster.yaml');
    expect(b.apps.api.replicas).toBe(3);
    expect(b.cluster.nodes).toHaveLength(3);
  });

  test('another text is validated again', () => {
    parseConfig(TEXT, 'cluster.yaml');
    const spy = validations();
    parseConfig(`${TEXT}\n# another\n`, 'cluster.yaml');
    expect(spy).toHaveBeenCalledTimes(1);
  });

  test('a text that failed is refused again, with the same message: failures are not remembered', () => {
    const bad = TEXT.replace(/(worker:\n(?:.*\n)*?\s+replicas: )1/, '$12');
    expect(bad).not.toBe(TEXT);
    const spy = validations();
    const messages = [0, 1].map(() => {
      try {
        parseConfig(bad, 'bad.yaml');
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('accepted an invalid config');
    });
    expect(messages[1]).toBe(messages[0]);
    expect(messages[0]).toMatch(/^bad\.yaml: invalid configuration\n.*apps\.worker\.replicas/);
    expect(spy).toHaveBeenCalledTimes(2);
  });

  test('a config validated by another process (the snapshot build) is taken for that text only', () => {
    const validated = parseConfig(TEXT, 'cluster.yaml');
    const text = `${TEXT}\n# validated elsewhere\n`;
    rememberConfig(text, { ...validated, partOf: 'validated-elsewhere' });
    const spy = validations();
    expect(parseConfig(text, 'cluster.yaml').partOf).toBe('validated-elsewhere');
    expect(spy).not.toHaveBeenCalled();
    expect(parseConfig(TEXT, 'cluster.yaml').partOf).toBe('honeydue');
  });
});
