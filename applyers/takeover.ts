import type { KubeObject } from "../kube/objects.js";
import type { FieldTakeover } from "./applyer.js";

interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  subresource?: string;
  fieldsV1?: unknown;
}

/**
 * takenOver lists the fields that another field manager held before a forced server-side apply and that `manager`
 * holds after it: what git took back from a hand edit or another tool. It reads only `metadata.managedFields` of
 * the live object before and the object the apply returned.
 */
export function takenOver(
  before: KubeObject | undefined,
  after: KubeObject | undefined,
  manager: string,
): FieldTakeover[] {
  if (!before || !after) return [];
  const afterEntries = entriesOf(after);
  const ours = new Set(
    afterEntries
      .filter((e) => e.manager === manager && !e.subresource)
      .flatMap((e) => fieldPaths(e.fieldsV1)),
  );
  if (ours.size === 0) return [];
  const takeovers: FieldTakeover[] = [];
  for (const entry of entriesOf(before)) {
    if (entry.manager === manager || entry.subresource) continue;
    const kept = new Set(
      afterEntries
        .filter((e) => e.manager === entry.manager && e.operation === entry.operation && !e.subresource)
        .flatMap((e) => fieldPaths(e.fieldsV1)),
    );
    const fields = fieldPaths(entry.fieldsV1).filter((path) => !kept.has(path) && ours.has(path));
    if (fields.length > 0) takeovers.push({ manager: entry.manager ?? "(unnamed)", fields });
  }
  return takeovers;
}

function entriesOf(object: KubeObject): ManagedFieldsEntry[] {
  const entries = object.metadata.managedFields;
  return Array.isArray(entries) ? (entries as ManagedFieldsEntry[]) : [];
}

/**
 * fieldPaths flattens a managedFields `fieldsV1` set into the paths it owns, `.spec.replicas` or
 * `.spec.template.spec.containers[name="web"].image`: every node that is a leaf or is owned itself (`"."`).
 */
export function fieldPaths(fields: unknown, prefix = ""): string[] {
  if (fields === null || typeof fields !== "object") return [];
  const keys = Object.keys(fields).filter((key) => key !== ".");
  const paths = keys.length === 0 || "." in fields ? (prefix === "" ? [] : [prefix]) : [];
  for (const key of keys) {
    paths.push(...fieldPaths((fields as Record<string, unknown>)[key], prefix + segment(key)));
  }
  return paths;
}

function segment(key: string): string {
  if (key.startsWith("f:")) return `.${key.slice(2)}`;
  if (key.startsWith("k:")) return `[${keyFields(key.slice(2))}]`;
  if (key.startsWith("v:")) return `[=${key.slice(2)}]`;
  return `[${key}]`;
}

function keyFields(json: string): string {
  try {
    return Object.entries(JSON.parse(json) as Record<string, unknown>)
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .join(",");
  } catch {
    return json;
  }
}
