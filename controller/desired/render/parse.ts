import { basename } from "node:path";
import yaml from "js-yaml";
import { DesiredSetError } from "../errors.js";
import type { ConfigFile, KubeObject, SourcedObject } from "./types.js";

// js-yaml's default schema is YAML 1.1's, where `2024-01-01` becomes a Date and is applied as a timestamp string.
// js-yaml exports its built-in types as `types`, which @types/js-yaml does not declare.
const { merge } = (yaml as unknown as { types: { merge: yaml.Type } }).types;
/** MANIFEST_SCHEMA reads YAML as Kubernetes does: the YAML 1.2 core schema plus merge keys. */
export const MANIFEST_SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [merge] });

/** ParsedFile is what one file of a service directory contributes: objects to apply, or service configuration. */
export interface ParsedFile {
  objects: SourcedObject[];
  configFiles: ConfigFile[];
  /** The file's size once every alias is expanded, as rendering and serialising will see it. */
  expanded: ExpandedSize;
}

/** ExpandedSize is a file's content counted as if every alias were copied out: values, and an estimate of its JSON. */
export interface ExpandedSize {
  readonly nodes: number;
  readonly bytes: number;
}

/**
 * MAX_NODES_PER_FILE is the node budget of one file: every mapping, sequence and scalar counted once per place it
 * appears once aliases are expanded. js-yaml shares an aliased value by reference, so parsing is cheap, but anything
 * that copies or serialises the result (structuredClone, JSON.stringify, rendering) expands it: nine levels of nine
 * aliases fit in 400 bytes and expand to 9^9 values. Plain manifests use more than 10 bytes of source per value, so
 * a file within the 10 MiB source limit and without aliases stays under the budget.
 */
export const MAX_NODES_PER_FILE = 1_000_000;
/** MAX_EXPANDED_BYTES_PER_FILE bounds one file's estimated JSON size with aliases expanded (32 MiB). */
export const MAX_EXPANDED_BYTES_PER_FILE = 32 * 1024 * 1024;

/**
 * parseManifests reads one file of a service directory. YAML files may hold many documents; a `.json` file is a
 * Kubernetes object when it has `apiVersion` and `kind`, and service configuration (for the `{svc}-config`
 * ConfigMap) otherwise. `List` objects are flattened at every depth, as kubectl does. YAML is read with the YAML 1.2
 * core schema plus merge keys, as Kubernetes reads it: `2024-01-01` stays a string, not a timestamp. Errors name the
 * file and the document.
 */
export function parseManifests(path: string, text: string): ParsedFile {
  if (path.toLowerCase().endsWith(".json")) return parseJson(path, text);
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text, undefined, { schema: MANIFEST_SCHEMA, filename: path });
  } catch (error: unknown) {
    const line = error instanceof yaml.YAMLException ? error.mark?.line : undefined;
    const where = line === undefined ? "" : ` (document ${documentIndexAt(text, line)}, line ${line + 1})`;
    const reason = error instanceof yaml.YAMLException ? error.reason : String(error);
    throw new DesiredSetError("E_MANIFEST_PARSE", path, `invalid YAML${where}: ${reason}`, { cause: error });
  }
  // Before anything walks the documents: an alias bomb is refused here, having cost only its (small) parse.
  const expanded = measureExpanded(path, docs);
  const objects: SourcedObject[] = [];
  docs.forEach((doc, i) => {
    // An empty document (a trailing `---`, a comment-only file) is allowed, as kubectl allows it.
    if (doc === null || doc === undefined) return;
    for (const object of toObjects(path, doc, `document ${i + 1}`)) objects.push({ path, object });
  });
  return { objects, configFiles: [], expanded };
}

function parseJson(path: string, text: string): ParsedFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    throw new DesiredSetError("E_MANIFEST_PARSE", path, `invalid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // JSON has no aliases, but the same budget applies so that a file's limits do not depend on its syntax.
  const expanded = measureExpanded(path, [value]);
  if (isRecord(value) && "apiVersion" in value && "kind" in value) {
    return {
      objects: toObjects(path, value, "document 1").map((object) => ({ path, object })),
      configFiles: [],
      expanded,
    };
  }
  return { objects: [], configFiles: [{ path, name: basename(path), text }], expanded };
}

function toObjects(path: string, doc: unknown, where: string): KubeObject[] {
  const object = validate(path, doc, where);
  if (!isList(object)) return [object];
  // A List inside a List is flattened too, so no object can hide from the checks that follow (allowlist, scope).
  const items = Array.isArray(object.items) ? object.items : [];
  return items.flatMap((item, j) => toObjects(path, item, `${where} item ${j + 1}`));
}

function isList(object: KubeObject): boolean {
  return object.kind === "List" || (object.kind.endsWith("List") && Array.isArray(object.items));
}

function validate(path: string, doc: unknown, where: string): KubeObject {
  const fail = (message: string) => new DesiredSetError("E_MANIFEST_INVALID", path, `${where}: ${message}`);
  if (!isRecord(doc))
    throw fail(`expected a Kubernetes object, got ${Array.isArray(doc) ? "a list" : typeof doc}`);
  if (typeof doc.apiVersion !== "string" || doc.apiVersion === "") throw fail("missing apiVersion");
  if (typeof doc.kind !== "string" || doc.kind === "") throw fail("missing kind");
  if (isList(doc as unknown as KubeObject)) return doc as unknown as KubeObject;
  const metadata = doc.metadata;
  if (!isRecord(metadata) || typeof metadata.name !== "string" || metadata.name === "") {
    // Server-side apply needs a name; generateName cannot be applied idempotently.
    throw fail(`${doc.kind} has no metadata.name`);
  }
  if (metadata.namespace !== undefined && typeof metadata.namespace !== "string") {
    throw fail(`${doc.kind} ${metadata.name}: metadata.namespace must be a string`);
  }
  return doc as unknown as KubeObject;
}

/**
 * measureExpanded counts the parsed documents as if every alias were copied out, and refuses the file with
 * `E_MANIFEST_TOO_LARGE` as soon as it passes a budget: the walk stops there, so it costs at most
 * MAX_NODES_PER_FILE steps whatever the file expands to (a cycle, `&a [*a]`, expands forever and is refused too).
 * Bytes are an estimate of the JSON the documents serialise to.
 */
export function measureExpanded(path: string, docs: readonly unknown[]): ExpandedSize {
  let nodes = 0;
  let bytes = 0;
  const stack: unknown[] = [...docs];
  while (stack.length > 0) {
    const value = stack.pop();
    nodes++;
    if (typeof value === "string") bytes += value.length + 2;
    else if (Array.isArray(value)) {
      bytes += 2 + value.length;
      for (const item of value) stack.push(item);
    } else if (typeof value === "object" && value !== null) {
      const record = value as Record<string, unknown>;
      bytes += 2;
      for (const key of Object.keys(record)) {
        bytes += key.length + 4;
        stack.push(record[key]);
      }
    } else bytes += String(value).length;
    if (nodes > MAX_NODES_PER_FILE) {
      throw new DesiredSetError(
        "E_MANIFEST_TOO_LARGE",
        path,
        `refused: more than ${MAX_NODES_PER_FILE.toLocaleString("en-US")} nodes once aliases are expanded (the node budget per file); an alias bomb, or a file to split`,
      );
    }
    if (bytes > MAX_EXPANDED_BYTES_PER_FILE) {
      throw new DesiredSetError(
        "E_MANIFEST_TOO_LARGE",
        path,
        `refused: more than ${formatMiB(MAX_EXPANDED_BYTES_PER_FILE)} once aliases are expanded (the size budget per file)`,
      );
    }
  }
  return { nodes, bytes };
}

/** formatMiB prints a byte count in MiB, e.g. "32 MiB". */
export function formatMiB(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return `${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB`;
}

/** documentIndexAt returns the 1-based document number that contains a 0-based line. */
function documentIndexAt(text: string, line: number): number {
  const lines = text.split("\n").slice(0, line + 1);
  let index = 1;
  let sawContent = false;
  for (const l of lines) {
    if (/^---(\s|$)/.test(l)) {
      // A leading `---` opens the first document rather than starting a second one.
      if (sawContent) index++;
      sawContent = true;
    } else if (l.trim() !== "" && !l.trimStart().startsWith("#")) {
      sawContent = true;
    }
  }
  return index;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
