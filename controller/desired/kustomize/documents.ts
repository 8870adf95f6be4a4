import yaml from "js-yaml";
import { DesiredSetError } from "../errors.js";
import { MANIFEST_SCHEMA, measureExpanded } from "../render/parse.js";
import { isRecord, refusal } from "./fields.js";

/**
 * loadDocuments reads every YAML document of a file kustomize reads as resources (a file of plugin
 * configurations), with the same bounded reader as manifests: an alias bomb is refused before anything walks it.
 */
export function loadDocuments(path: string, text: string): unknown[] {
  try {
    const docs = yaml.loadAll(text, undefined, { schema: MANIFEST_SCHEMA, filename: path });
    measureExpanded(path, docs);
    return docs;
  } catch (error: unknown) {
    throw new DesiredSetError("E_KUSTOMIZE_INVALID", path, yamlReason(error), { cause: error });
  }
}

/**
 * inlineDocuments is an entry as the inline YAML kustomize may read it as (a patch, a plugin's configuration): its
 * documents when every one is a mapping (or empty), undefined when it is not YAML of mappings, which kustomize then
 * reads as a path. kustomize tries inline first (`NewResMapFromBytes`, api/internal/target/kusttarget.go).
 */
export function inlineDocuments(
  file: string,
  field: string,
  value: string,
): Record<string, unknown>[] | undefined {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(value, undefined, { schema: MANIFEST_SCHEMA });
  } catch {
    return undefined;
  }
  try {
    measureExpanded(`${file}: ${field}`, docs);
  } catch (error: unknown) {
    throw refusal(file, field, yamlReason(error));
  }
  const present = docs.filter((doc) => doc !== null && doc !== undefined);
  return present.every(isRecord) ? present : undefined;
}

/** yamlReason is why a YAML text could not be read: a budget passed, or js-yaml's reason. */
export function yamlReason(error: unknown): string {
  if (error instanceof DesiredSetError) return error.reason;
  return `invalid YAML: ${error instanceof yaml.YAMLException ? error.reason : String(error)}`;
}
