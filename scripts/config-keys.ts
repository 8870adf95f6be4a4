import { z } from "zod";
import { formatDuration } from "../controller/config/duration.js";

/** ConfigKey is one key of the config file as its reference row shows it. */
export interface ConfigKey {
  /** Where the key sits, as users write it: `services[].name`, `github_configs.*.branch`. */
  readonly path: string;
  /** What a user writes, with a duration's range: `DNS label`, `seconds or duration, from 1s to 24h`. */
  readonly type: string;
  /** The schema's default, the loader's (`fallback`), `none` for an optional key, or `required`. */
  readonly default: string;
  readonly meaning: string;
}

/** ConfigKeys are the keys a schema documents, and what is missing from those it does not (`path: what`). */
export interface ConfigKeys {
  readonly keys: readonly ConfigKey[];
  readonly undocumented: readonly string[];
}

/** A key's schema seen through its wrappers: their metadata merged (the outermost wins) and what they wrap. */
interface Peeled {
  readonly meta: z.GlobalMeta;
  readonly core: z.ZodType;
  readonly optional: boolean;
  readonly default?: { readonly value: unknown };
}

/** peel unwraps `.optional()`, `.default()` and transforms, keeping every layer's metadata. */
function peel(schema: z.ZodType): Peeled {
  const metas: z.GlobalMeta[] = [];
  let optional = false;
  let found: { value: unknown } | undefined;
  let core = schema;
  for (;;) {
    const meta = z.globalRegistry.get(core);
    if (meta) metas.unshift(meta);
    if (core instanceof z.ZodOptional) {
      optional = true;
      core = core.unwrap() as z.ZodType;
    } else if (core instanceof z.ZodDefault) {
      found ??= { value: core.def.defaultValue };
      core = core.unwrap() as z.ZodType;
    } else if (core instanceof z.ZodPipe) {
      // What the user writes is the pipe's input, unless the input is a preprocess step: then its target.
      core = (core.in instanceof z.ZodTransform ? core.out : core.in) as z.ZodType;
    } else break;
  }
  return { meta: Object.assign({}, ...metas), core, optional, ...(found ? { default: found } : {}) };
}

const choices = (values: readonly unknown[]) => values.map((value) => `\`${String(value)}\``).join(" | ");

/** derivedType says what the schema itself tells of a value: `bool`, `` `a` | `b` ``, `list of …`. */
function derivedType(core: z.ZodType): string | undefined {
  if (core instanceof z.ZodBoolean) return "bool";
  if (core instanceof z.ZodString) return "string";
  if (core instanceof z.ZodNumber) return "number";
  if (core instanceof z.ZodEnum) return choices(core.options);
  if (core instanceof z.ZodLiteral) return choices([...core.values]);
  if (core instanceof z.ZodObject) return "mapping";
  if (core instanceof z.ZodRecord) return "map of name → mapping";
  if (core instanceof z.ZodUnion) {
    const parts = core.options.map((option) => derivedType(option as z.ZodType));
    return parts.every((part) => part !== undefined)
      ? parts.map((part) => (part === "bool" ? choices([true, false]) : part)).join(" | ")
      : undefined;
  }
  if (core instanceof z.ZodArray) {
    const element = peel(core.element as z.ZodType);
    if (element.core instanceof z.ZodObject) return "list of mappings";
    const text = element.meta.written ?? derivedType(element.core);
    return text === undefined ? undefined : `list of ${text}`;
  }
  return undefined;
}

function typeOf({ meta, core }: Peeled): string | undefined {
  const text = meta.written ?? derivedType(core);
  if (text === undefined || meta.bounds === undefined) return text;
  const { min, max, off } = meta.bounds;
  const range = `from \`${formatDuration(min)}\` to \`${formatDuration(max)}\``;
  return `${text}, ${range}${off === undefined ? "" : `, or \`0\` (${off})`}`;
}

function defaultOf({ meta, optional, default: found }: Peeled): string {
  if (found === undefined) return meta.fallback ?? (optional ? "none" : "required");
  const { value } = found;
  if (meta.bounds !== undefined && typeof value === "number") return `\`${formatDuration(value)}\``;
  if (Array.isArray(value) && value.length === 0) return "none";
  return `\`${Array.isArray(value) ? `[${value.join(", ")}]` : String(value)}\``;
}

/** What a key's rows and its own entries are collected into, in schema order. */
interface Collector {
  readonly keys: ConfigKey[];
  readonly undocumented: string[];
}

function visitKey(path: string, schema: z.ZodType, into: Collector): void {
  const peeled = peel(schema);
  const type = typeOf(peeled);
  const missing = [
    ...(peeled.meta.description ? [] : ["no description"]),
    ...(type === undefined ? ["no type (add `written`)"] : []),
    ...(peeled.default && peeled.meta.fallback ? ["both a schema default and a `fallback`"] : []),
  ];
  if (missing.length > 0) into.undocumented.push(`${path}: ${missing.join(", ")}`);
  else
    into.keys.push({
      path,
      type: type ?? "",
      default: defaultOf(peeled),
      meaning: peeled.meta.description ?? "",
    });
  const forms = peeled.meta.forms ?? [peeled.core];
  const seen = new Set<string>();
  for (const form of forms) {
    if (!(form instanceof z.ZodType)) throw new Error(`${path}: a \`forms\` entry is not a zod schema`);
    visitEntries(path, peel(form).core, seen, into);
  }
}

/**
 * visitEntries walks what a key holds: the keys of a mapping, of a list's entries (`path[]`) or of a map's values
 * (`path.*`). A key seen in an earlier form of the same key (github_configs' map and list) is not repeated.
 */
function visitEntries(path: string, core: z.ZodType, seen: Set<string>, into: Collector): void {
  let prefix = path;
  let object = core;
  if (core instanceof z.ZodArray) [prefix, object] = [`${path}[]`, peel(core.element as z.ZodType).core];
  if (core instanceof z.ZodRecord) [prefix, object] = [`${path}.*`, peel(core.valueType as z.ZodType).core];
  if (!(object instanceof z.ZodObject)) return;
  for (const [name, schema] of Object.entries(object.shape)) {
    if (seen.has(name)) continue;
    seen.add(name);
    visitKey(prefix === "" ? name : `${prefix}.${name}`, schema as z.ZodType, into);
  }
}

/** configKeys walks a config schema, every nested key included, into its documented rows and what is missing. */
export function configKeys(schema: z.ZodType): ConfigKeys {
  const into: Collector = { keys: [], undocumented: [] };
  visitEntries("", peel(schema).core, new Set(), into);
  return into;
}
