import * as fs from 'fs';
import * as path from 'path';
import { RENDER_CHECKS } from '../bootstrap/config-checks';
import { type ConfigCheck, ConfigError, parseConfig, rememberConfig } from '../config/load';

const TEXT = fs.readFileSync(path.join(__dirname, '..', 'cluster.yaml'), 'utf8');

describe('a configuration text validated once is not parsed again (config/load.ts)', () => {
  /** A check that finds nothing wrong, and counts the validations it takes part in. */
  const counting = () => {
    const check = jest.fn<ReturnType<ConfigCheck>, Parameters<ConfigCheck>>(() => []);
    return { check, checks: [...RENDER_CHECKS, check] };
  };

  test('the same text with the same checks gets an equal config without being validated again', () => {
    const { check, checks } = counting();
    const first = parseConfig(TEXT, 'cluster.yaml', checks);
    expect(parseConfig(TEXT, 'cluster.yaml', checks)).toEqual(first);
    expect(parseConfig(TEXT, 'elsewhere/cluster.yaml', checks)).toEqual(first);
    expect(check).toHaveBeenCalledTimes(1);
  });

  test('each caller gets its own copy: changing one changes neither the next nor the remembered one', () => {
    const a = parseConfig(TEXT, 'cluster.yaml', RENDER_CHECKS);
    a.apps.api.replicas = 99;
    a.cluster.nodes.pop();
    const b = parseConfig(TEXT, 'cluster.yaml', RENDER_CHECKS);
    expect(b.apps.api.replicas).toBe(3);
    expect(b.cluster.nodes).toHaveLength(3);
  });

  test('the same text with other checks is validated again, and those checks run', () => {
    parseConfig(TEXT, 'cluster.yaml', RENDER_CHECKS);
    const check = jest.fn<ReturnType<ConfigCheck>, Parameters<ConfigCheck>>(() => [
      { path: ['partOf'], message: 'refused by this check' },
    ]);
    expect(() => parseConfig(TEXT, 'cluster.yaml', [check])).toThrow(/partOf: refused by this check/);
    expect(check).toHaveBeenCalledTimes(1);
  });

  test('a text that failed is refused again, with the same message: failures are not remembered', () => {
    const refusing = jest.fn<ReturnType<ConfigCheck>, Parameters<ConfigCheck>>(() => [
      { path: ['apps', 'api', 'replicas'], message: 'too many' },
    ]);
    const messages = [0, 1].map(() => {
      try {
        parseConfig(TEXT, 'bad.yaml', [refusing]);
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as Error).message;
      }
      throw new Error('accepted an invalid config');
    });
    expect(messages[1]).toBe(messages[0]);
    expect(messages[0]).toMatch(/^bad\.yaml: invalid configuration\n.*apps\.api\.replicas: too many/);
    expect(refusing).toHaveBeenCalledTimes(2);
  });

  test('a config validated by another process (the snapshot build) is taken for that text and checks only', () => {
    const { check, checks } = counting();
    const validated = parseConfig(TEXT, 'cluster.yaml', RENDER_CHECKS);
    const text = `${TEXT}\n# validated elsewhere\n`;
    rememberConfig(text, checks, { ...validated, partOf: 'validated-elsewhere' });
    expect(parseConfig(text, 'cluster.yaml', checks).partOf).toBe('validated-elsewhere');
    expect(check).not.toHaveBeenCalled();
    expect(parseConfig(text, 'cluster.yaml', RENDER_CHECKS).partOf).toBe('honeydue');
  });
});
