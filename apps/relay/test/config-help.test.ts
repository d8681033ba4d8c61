// The option reference and the flag help are generated from the zod schemas' descriptions.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DATT_LIMITS } from '@peerwire/datt';
import { DEFAULT_RELAY_LIMITS } from '@peerwire/relay';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { CONFIG_SECTIONS, ConfigSchema, describeConfig, LimitsSchema } from '../src/config.js';
import { flagHelp, schemaDefault } from '../src/config-help.js';
import { DattLimitsSchema, DattOptionsSchema } from '../src/datt-config.js';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const sections: readonly string[] = CONFIG_SECTIONS;

/** Every documented field: [option name, schema field]. */
function fields(): [string, z.ZodType][] {
  const out: [string, z.ZodType][] = [];
  for (const [k, f] of Object.entries(ConfigSchema.shape)) {
    if (!sections.includes(k)) out.push([k, f as z.ZodType]);
  }
  for (const [k, f] of Object.entries(DattOptionsSchema.shape)) {
    if (k !== 'limits') out.push([`datt.${k}`, f as z.ZodType]);
  }
  return out;
}

/** The line of the reference that documents `option`. */
function lineOf(text: string, option: string): string {
  const line = text.split('\n').find((l) => l.trim().split(/\s+/)[0] === option);
  expect(line, `no line for ${option}`).toBeDefined();
  return line!;
}

describe('generated config help', () => {
  it('every option and every limit has a description', () => {
    for (const [name, field] of fields()) expect(field.description, name).toMatch(/\w{3}/);
    for (const field of [ConfigSchema.shape.limits, DattOptionsSchema.shape.limits])
      expect(field.description).toMatch(/\w{3}/);
    expect(Object.keys(LimitsSchema.shape).sort()).toEqual(
      Object.keys(DEFAULT_RELAY_LIMITS).sort(),
    );
    expect(Object.keys(DattLimitsSchema.shape).sort()).toEqual(
      Object.keys(DEFAULT_DATT_LIMITS).sort(),
    );
    for (const [name, field] of [
      ...Object.entries(LimitsSchema.shape),
      ...Object.entries(DattLimitsSchema.shape),
    ])
      expect((field as z.ZodType).description, name).toMatch(/\w{3}/);
  });

  it('--help-config shows each option with its description and the schema default', () => {
    const text = describeConfig();
    for (const [name, field] of fields()) {
      const line = lineOf(text, name);
      expect(line).toContain(field.description!);
      expect(line.split(/\s{2,}/)).toContain(schemaDefault(field));
    }
    // the defaults are the schema's, not text: a few known ones
    expect(lineOf(text, 'port').split(/\s{2,}/)).toContain('8080');
    expect(lineOf(text, 'datt.port').split(/\s{2,}/)).toContain('4000');
    expect(lineOf(text, 'logLevel').split(/\s{2,}/)).toContain('info');
    for (const [name, value] of Object.entries(DEFAULT_RELAY_LIMITS)) {
      const line = lineOf(text, `limits.${name}`);
      expect(line.split(/\s{2,}/)).toContain(String(value));
      expect(line).toContain((LimitsSchema.shape as Record<string, z.ZodType>)[name]!.description!);
    }
    for (const [name, value] of Object.entries(DEFAULT_DATT_LIMITS))
      expect(lineOf(text, `datt.limits.${name}`).split(/\s{2,}/)).toContain(String(value));
  });

  it('--help shows the flag texts made from the schema (description and default)', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    const port = flagHelp(ConfigSchema.shape.port);
    expect(port).toMatch(/\(default 8080\)$/);
    for (const field of [
      ConfigSchema.shape.port,
      ConfigSchema.shape.host,
      ConfigSchema.shape.dataDir,
      ConfigSchema.shape.logLevel,
      DattOptionsSchema.shape.port,
      DattOptionsSchema.shape.wsPort,
      DattOptionsSchema.shape.payTo,
    ])
      expect(help).toContain(flagHelp(field));
  });

  it("the README's option tables give the schema defaults", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const byName = new Map(fields());
    let checked = 0;
    for (const line of readme.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      const name = /^`([\w.]+)`$/.exec(cells[1] ?? '')?.[1];
      const field = name === undefined ? undefined : byName.get(name);
      if (!field) continue;
      // the default is the first cell after the option that is a backticked literal
      const literal = cells
        .slice(2)
        .find((c) => /^`[^`]*`$/.test(c) && !/^`(--|-\w|PEERWIRE_)/.test(c));
      if (literal === undefined) continue;
      expect(literal.slice(1, -1), name).toBe(schemaDefault(field));
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10);
  });
});
