import {
  type FieldTable,
  fieldTable,
  isRecord,
  objects,
  path,
  paths,
  type Reference,
  refusal,
  walkFields,
} from "./fields.js";
import { GENERATOR_FIELDS, REPLACEMENT_FIELDS, SECRET_GENERATOR_FIELDS } from "./references.js";

/** Every plugin configuration has these; none names a file. */
const RESOURCE_FIELDS = { apiVersion: null, kind: null, metadata: null } as const;

const withResourceFields = (table: FieldTable): FieldTable =>
  new Map([...fieldTable(RESOURCE_FIELDS), ...table]);

/**
 * BUILTIN_PLUGINS is every plugin kustomize has built in (api/internal/plugins/builtinhelpers/builtins.go), each
 * with the fields of its configuration when one of them loads a file (api/internal/builtins/*.go: the fields read
 * through `h.Loader()`), null when none does. HelmChartInflationGenerator is refused on its own.
 */
const BUILTIN_PLUGINS: ReadonlyMap<string, FieldTable | null> = new Map([
  [
    "PatchTransformer",
    withResourceFields(fieldTable({ path: path("file"), patch: null, target: null, options: null })),
  ],
  [
    "PatchJson6902Transformer",
    withResourceFields(fieldTable({ path: path("file"), jsonOp: null, target: null })),
  ],
  [
    "PatchStrategicMergeTransformer",
    withResourceFields(fieldTable({ paths: paths("patch"), patches: null })),
  ],
  [
    "ReplacementTransformer",
    // `omitempty` is really a field's JSON name there: inline replacements.
    withResourceFields(fieldTable({ replacements: objects(REPLACEMENT_FIELDS), omitempty: null })),
  ],
  ["ConfigMapGenerator", withResourceFields(GENERATOR_FIELDS)],
  ["SecretGenerator", withResourceFields(SECRET_GENERATOR_FIELDS)],
  [
    "ValueAddTransformer",
    withResourceFields(fieldTable({ value: null, targets: null, targetFilePath: path("file") })),
  ],
  ["AnnotationsTransformer", null],
  ["HashTransformer", null],
  ["IAMPolicyGenerator", null],
  ["ImageTagTransformer", null],
  ["LabelTransformer", null],
  ["NamespaceTransformer", null],
  ["PrefixSuffixTransformer", null],
  ["PrefixTransformer", null],
  ["SuffixTransformer", null],
  ["ReplicaCountTransformer", null],
]);

/**
 * pluginConfigReferences lists the files one plugin configuration (a document of a `generators`, `transformers` or
 * `validators` entry) names, `where` naming the document in errors. A `…List` of configurations is read item by
 * item, as kustomize does. Only kustomize's builtin plugins are accepted: an external plugin or KRM function
 * (any other apiVersion) is refused here, as kustomize refuses it without `--enable-alpha-plugins`; a helm chart
 * as a plugin too (it belongs in `helmCharts`).
 */
export function pluginConfigReferences(file: string, where: string, doc: unknown): Reference[] {
  if (doc === null || doc === undefined) return [];
  if (!isRecord(doc)) throw refusal(file, where, "expected a plugin configuration (a mapping)");
  const { apiVersion, kind } = doc;
  if (typeof kind === "string" && kind.endsWith("List") && "items" in doc) {
    if (doc.items === null) return [];
    if (!Array.isArray(doc.items)) throw refusal(file, `${where}.items`, "expected a list");
    return doc.items.flatMap((item, i) => pluginConfigReferences(file, `${where}.items[${i}]`, item));
  }
  const named = `${where} (${typeof kind === "string" ? kind : "no kind"})`;
  if (apiVersion !== "builtin")
    throw refusal(
      file,
      named,
      `apiVersion ${JSON.stringify(apiVersion ?? null)}: only kustomize's builtin plugins run (apiVersion: builtin); external plugins and KRM functions are never enabled`,
    );
  if (kind === "HelmChartInflationGenerator")
    throw refusal(
      file,
      named,
      "a helm chart is rendered only from a kustomization's helmCharts entry, whose chart the controller can check; write it there",
    );
  const table = typeof kind === "string" ? BUILTIN_PLUGINS.get(kind) : undefined;
  if (table === undefined) throw refusal(file, named, "not one of kustomize's builtin plugins");
  const refs: Reference[] = [];
  if (table !== null) walkFields(doc, table, named, refs, file);
  return refs;
}
