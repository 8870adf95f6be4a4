import { basename } from "node:path";
import yaml from "js-yaml";
import { RenderError } from "./errors.js";
import type { ConfigFile, KubeObject, SourcedObject } from "./types.js";

/** ParsedFile is what one file of a service directory contributes: objects to apply, or service configuration. */
export interface ParsedFile {
  objects: SourcedObject[];
  configFiles: ConfigFile[];
}

/**
 * parseManifests reads one file of a service directory. YAML files may hold many documents; a `.json` file is a
 * Kubernetes object when it has `apiVersion` and `kind`, and service configuration (for the `{svc}-config`
 * ConfigMap) otherwise. `List` objects are flattened as kubectl does. Errors name the file and the document.
 */
export function parseManifests(path: string, text: string): ParsedFile {
  if (path.toLowerCase().endsWith(".json")) return parseJson(path, text);
  let docs: unknown[];
  try {
    docs = yaml.loadAll(text);
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
  if (object.kind === "List" || (object.kind.endsWith("List") && Array.isArray(object.items))) {
    const items = Array.isArray(object.items) ? object.items : [];
    return items.map((item, j) => validate(path, item, `${where} item ${j + 1}`));
  }
  return [object];
}

function validate(path: string, doc: unknown, where: string): KubeObject {
  const fail = (message: string) => new RenderError("E_MANIFEST_INVALID", path, `${where}: ${message}`);
  if (!isRecord(doc))
    throw fail(`expected a Kubernetes object, got ${Array.isArray(doc) ? "a list" : typeof doc}`);
  if (typeof doc.apiVersion !== "string" || doc.apiVersion === "") throw fail("missing apiVersion");
  if (typeof doc.kind !== "string" || doc.kind === "") throw fail("missing kind");
  if (doc.kind === "List" || (doc.kind.endsWith("List") && Array.isArray(doc.items))) {
    return doc as unknown as KubeObject;
  }
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
