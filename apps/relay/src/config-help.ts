/**
 * Help text generated from the zod config schemas: each option's meaning is its `.describe()`
 * text and its default is what the schema gives an unset option, so `--help`, `--help-config`
 * and the README cannot drift from what the daemon really does.
 */
import type { z } from 'zod';

/** One option in the generated reference. */
export interface HelpRow {
  readonly option: string;
  readonly env: string;
  readonly default: string;
  readonly meaning: string;
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.length > 0 ? value.join(',') : '(none)';
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

/** The default the schema gives an unset option, as text; `(unset)` when it gives none. */
export function schemaDefault(field: z.ZodType): string {
  const parsed = field.safeParse(undefined);
  return parsed.success && parsed.data !== undefined ? formatValue(parsed.data) : '(unset)';
}

/** The `.describe()` text of a field ('' when it has none; a test keeps every option described). */
export function describedAs(field: z.ZodType): string {
  return field.description ?? '';
}

/**
 * Rows for the fields of an object schema's shape. `env` names the variable of a key; `skip`
 * leaves out nested sections documented on their own.
 */
export function shapeRows(
  shape: Readonly<Record<string, z.ZodType>>,
  options: {
    readonly prefix?: string;
    readonly env: (key: string) => string | undefined;
    readonly skip?: readonly string[];
  },
): HelpRow[] {
  const rows: HelpRow[] = [];
  for (const [key, field] of Object.entries(shape)) {
    if (options.skip?.includes(key)) continue;
    rows.push({
      option: `${options.prefix ?? ''}${key}`,
      env: options.env(key) ?? '',
      default: schemaDefault(field),
      meaning: describedAs(field),
    });
  }
  return rows;
}

/**
 * Rows for a limits schema: the meaning from each field's description, the default from the
 * package's defaults table (the schema leaves limits unset, and the package fills them in).
 */
export function limitRows(
  shape: Readonly<Record<string, z.ZodType>>,
  defaults: object,
  prefix: string,
  env: (key: string) => string,
): HelpRow[] {
  return Object.entries(shape).map(([key, field]) => ({
    option: `${prefix}${key}`,
    env: env(key),
    default: formatValue((defaults as Record<string, unknown>)[key]),
    meaning: describedAs(field),
  }));
}

/** Lays rows out in aligned columns. */
export function formatRows(rows: readonly HelpRow[], indent = '  '): string[] {
  const width = (pick: (r: HelpRow) => string, min: number) =>
    Math.max(min, ...rows.map((r) => pick(r).length));
  const o = width((r) => r.option, 6);
  const e = width((r) => r.env, 3);
  const d = Math.min(
    width((r) => r.default, 7),
    12,
  );
  return rows.map((r) =>
    `${indent}${r.option.padEnd(o)}  ${r.env.padEnd(e)}  ${r.default.padEnd(d)}  ${r.meaning}`.trimEnd(),
  );
}

/**
 * Text for a flag's `--help` line: the option's description (without the `(--flag)` note meant
 * for the config reference) and its schema default (left out when it is unset, empty or false).
 */
export function flagHelp(field: z.ZodType): string {
  const dflt = schemaDefault(field);
  const text = describedAs(field).replace(/\s*\(--[^)]*\)$/, '');
  return ['(unset)', '(none)', 'false'].includes(dflt) ? text : `${text} (default ${dflt})`;
}
