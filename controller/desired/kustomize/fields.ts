import { DesiredSetError } from "../errors.js";

/**
 * ReferenceKind says how kustomize reads what an entry names: `target` a file or a directory (another
 * kustomization); `file` a file; `patch` a patch written inline or a file holding one; `plugin` a plugin's
 * configuration written inline, or a file or directory of them.
 */
export type ReferenceKind = "target" | "file" | "patch" | "plugin";

/** Reference is one thing a kustomization or a plugin's configuration names. */
export interface Reference {
  /** field is where the entry sits, as an error names it: `resources[2]`, `configMapGenerator[0].files[1]`. */
  readonly field: string;
  readonly value: string;
  readonly kind: ReferenceKind;
}

/** FieldWalk collects the references one field's value names, or refuses a value of a shape it cannot vouch for. */
export type FieldWalk = (value: unknown, field: string, out: Reference[], file: string) => void;

/**
 * FieldTable is every field an object kustomize reads may have, each with how it names files; null for a field
 * that names none. A field not in the table is refused: kustomize decodes with Go's encoding/json, which matches
 * field names ignoring case (`RESOURCES`, `Path`), so a spelling the table does not know may still load something.
 */
export type FieldTable = ReadonlyMap<string, FieldWalk | null>;

/** fieldTable is a FieldTable from an object literal, in its order. */
export function fieldTable(fields: Readonly<Record<string, FieldWalk | null>>): FieldTable {
  return new Map(Object.entries(fields));
}

/** path reads a field holding one path (empty or absent: none). */
export function path(kind: ReferenceKind, strip: (value: string) => string = (value) => value): FieldWalk {
  return (value, field, out, file) => {
    if (value === undefined || value === null || value === "") return;
    if (typeof value !== "string") throw refusal(file, field, `expected a string, got ${describe(value)}`);
    const stripped = strip(value);
    if (stripped !== "") out.push({ field, value: stripped, kind });
  };
}

/** paths reads a field holding a list of paths. */
export function paths(kind: ReferenceKind, strip?: (value: string) => string): FieldWalk {
  const one = path(kind, strip);
  return (value, field, out, file) => {
    for (const [i, item] of listAt(value, field, file).entries()) one(item, `${field}[${i}]`, out, file);
  };
}

/** objects reads a field holding a list of objects, each with the fields of `table`. */
export function objects(table: FieldTable): FieldWalk {
  return (value, field, out, file) => {
    for (const [i, item] of listAt(value, field, file).entries())
      walkFields(recordAt(item, `${field}[${i}]`, file), table, `${field}[${i}]`, out, file);
  };
}

/** walkFields collects the references of every field of `record`, refusing one `table` does not know. */
export function walkFields(
  record: Readonly<Record<string, unknown>>,
  table: FieldTable,
  prefix: string,
  out: Reference[],
  file: string,
): void {
  for (const [key, value] of Object.entries(record)) {
    const field = prefix === "" ? key : `${prefix}.${key}`;
    const walk = table.get(key);
    if (walk === undefined) throw unknownField(file, field, key, table);
    walk?.(value, field, out, file);
  }
}

/** recordAt is `value` as an object, or a refusal naming the field. */
export function recordAt(value: unknown, field: string, file: string): Readonly<Record<string, unknown>> {
  if (!isRecord(value)) throw refusal(file, field, `expected a mapping, got ${describe(value)}`);
  return value;
}

function listAt(value: unknown, field: string, file: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw refusal(file, field, `expected a list, got ${describe(value)}`);
  return value;
}

function unknownField(file: string, field: string, key: string, table: FieldTable): DesiredSetError {
  const meant = [...table.keys()].find((known) => known.toLowerCase() === key.toLowerCase());
  return refusal(
    file,
    field,
    meant === undefined
      ? "not a field the controller knows here; refused rather than handed to kustomize unchecked"
      : `kustomize reads this as "${meant}" (it matches field names ignoring case); write "${meant}" so the controller can check what it names`,
  );
}

/** refusal is the `E_KUSTOMIZE_INVALID` error of one field of a file. */
export function refusal(file: string, field: string, reason: string): DesiredSetError {
  return new DesiredSetError("E_KUSTOMIZE_INVALID", file, `${field}: ${reason}`);
}

/** isRecord says whether a parsed YAML value is a mapping. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value === null) return "null";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}
