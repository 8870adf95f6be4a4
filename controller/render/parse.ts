import { basename } from "node:path";
import yaml from "js-yaml";
import { RenderError } from "./errors.js";
import type { ConfigFile, KubeObject, SourcedObject } from "./types.js";

// js-yaml's default schema is YAML 1.1's, where `2024-01-01` becomes a Date and is applied as a timestamp string.
// js-yaml exports its built-in types as `types`, which @types/js-yaml does not declare.
const { merge } = (yaml as unknown as { types: { merge: yaml.Type } }).types;
const MANIFEST_SCHEMA = yaml.CORE_SCHEMA.extend({ implicit: [merge] });

/** ParsedFile is what one file of a service directory contributes: objects to apply, or service configuration. */
export interface ParsedFile {
  objects: SourcedObject[];
  configFiles: ConfigFile[];
}

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
    throw new RenderError("E_MANIFEST_PARSE", path, `invalid YAML${where}: ${reason}`, { cause: error });
  }
  const objects: SourcedObject[] = [];
  docs.forEach((doc, i) => {
    // An empty document (a trailing `---`, a comment-only file) is allowed, as kubectl allows it.
    if (doc === null || doc === undefined) return;
    for (const object of toObjects(path, doc, `document ${i + 1}`)) objects.push({ path, object });
  });
  return { objects, configFiles: [] };
}

function parseJson(path: string, text: string): ParsedFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error: unknown) {
    throw new RenderError("E_MANIFEST_PARSE", path, `invalid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (isRecord(value) && "apiVersion" in value && "kind" in value) {
    return {
      objects: toObjects(path, value, "document 1").map((object) => ({ path, object })),
      configFiles: [],
    };
  }
  return { objects: [], configFiles: [{ path, name: basename(path), text }] };
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
  const fail = (message: string) => new RenderError("E_MANIFEST_INVALID", path, `${where}: ${message}`);
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
