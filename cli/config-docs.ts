import { z } from 'zod';
import { CoreConfigSchema } from '../core/config.js';
import { EdgeConfigSchema } from '../edge/config.js';

/** The parts of a JSON Schema (as zod writes it) the reference reads. */
interface Schema {
  readonly type?: string | readonly string[];
  readonly description?: string;
  readonly default?: unknown;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly required?: readonly string[];
  readonly items?: Schema;
  readonly anyOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
}

interface Row {
  readonly key: string;
  readonly type: string;
  readonly isRequired: boolean;
  readonly defaultValue: string;
  readonly description: string;
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function typeOf(schema: Schema): string {
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return [...new Set(variants.map(typeOf))].join(' or ');
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(', ');
  const base: string = typeof schema.type === 'string' ? schema.type : (schema.type?.join(' or ') ?? 'any');
  if (base === 'array') return `list of ${schema.items ? typeOf(schema.items) : 'any'}`;
  if (base !== 'number' && base !== 'integer') return base;
  // An exclusive bound (z.positive() writes exclusiveMinimum 0) is the next whole number for an
  // integer; for a number it keeps its strict sign.
  const step = base === 'integer' ? 1 : 0;
  const low = schema.minimum ?? (schema.exclusiveMinimum === undefined ? undefined : schema.exclusiveMinimum + step);
  const rawHigh =
    schema.maximum ?? (schema.exclusiveMaximum === undefined ? undefined : schema.exclusiveMaximum - step);
  const isStrictLow = step === 0 && schema.minimum === undefined && schema.exclusiveMinimum !== undefined;
  const isStrictHigh = step === 0 && schema.maximum === undefined && schema.exclusiveMaximum !== undefined;
  // z.int() writes the safe-integer bounds; they say nothing to a reader.
  const high = rawHigh !== undefined && rawHigh >= Number.MAX_SAFE_INTEGER ? undefined : rawHigh;
  const hasLow = low !== undefined && low > -Number.MAX_SAFE_INTEGER;
  if (hasLow && high !== undefined && !isStrictLow && !isStrictHigh) return `${base} ${low}–${high}`;
  const parts = [
    ...(hasLow ? [`${isStrictLow ? '>' : '≥'} ${low}`] : []),
    ...(high !== undefined ? [`${isStrictHigh ? '<' : '≤'} ${high}`] : []),
  ];
  return parts.length > 0 ? `${base} ${parts.join(', ')}` : base;
}

/** The object schema inside `schema` (an object, a list of objects, or an optional object), if any. */
function objectOf(schema: Schema): { schema: Schema; suffix: string } | undefined {
  if (schema.properties) return { schema, suffix: '' };
  if (schema.items?.properties) return { schema: schema.items, suffix: '[]' };
  const variants = schema.anyOf ?? schema.oneOf;
  const inner = variants?.find((v) => v.properties);
  return inner ? { schema: inner, suffix: '' } : undefined;
}

function rowsOf(schema: Schema, prefix: string, isParentRequired: boolean): Row[] {
  const rows: Row[] = [];
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const key = prefix ? `${prefix}.${name}` : name;
    const isRequired = isParentRequired && (schema.required ?? []).includes(name) && child.default === undefined;
    const nested = objectOf(child);
    const shown = nested?.suffix === '' ? 'object' : typeOf(child);
    rows.push({
      key,
      type: shown,
      isRequired,
      defaultValue:
        child.default === undefined || (typeof child.default === 'object' && child.default !== null)
          ? ''
          : JSON.stringify(child.default),
      description: child.description ?? '',
    });
    if (nested) rows.push(...rowsOf(nested.schema, `${key}${nested.suffix}`, isRequired || nested.suffix === '[]'));
  }
  return rows;
}

function table(title: string, intro: string, schema: z.ZodType): string {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;
  const lines = [
    `## ${title}`,
    '',
    intro,
    '',
    '| Key | Type | Required | Default | What it is |',
    '| --- | --- | --- | --- | --- |',
    ...rowsOf(json, '', true).map(
      (r) =>
        `| \`${r.key}\` | ${cell(r.type)} | ${r.isRequired ? 'yes' : ''} | ${r.defaultValue ? `\`${cell(r.defaultValue)}\`` : ''} | ${cell(r.description)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

/** docs/config.md: every key of both configs, generated from the zod schemas (`npm run gen:docs`). */
export function renderConfigReference(): string {
  return [
    '# Configuration reference',
    '',
    'Generated from the zod schemas in `edge/config.ts`, `edge/config-vision.ts` and `core/config.ts` by',
    '`npm run gen:docs`; a test fails when this file is stale. Do not edit it by hand: change the',
    "schema's `.describe()` and regenerate. Paths in a config are relative to the config file. A key",
    'marked required must be given when its section is; a section with a default may be left out.',
    'Errors name the key and the problem, all at once (`zebra edge check --config FILE`).',
    '',
    table(
      'Edge (`zebra edge run --config FILE`)',
      'One file per device; `cameras[]` lists its cameras.',
      EdgeConfigSchema,
    ),
    table('Core (`zebra core run --config FILE`)', 'One file per core replica.', CoreConfigSchema),
  ].join('\n');
}

/** The file `npm run gen:docs` writes. */
export const CONFIG_REFERENCE_FILE = new URL('../docs/config.md', import.meta.url);

export async function writeConfigReference(): Promise<void> {
  const { writeFile } = await import('node:fs/promises');
  await writeFile(CONFIG_REFERENCE_FILE, renderConfigReference());
}
