import yaml from "js-yaml";
import { DesiredSetError } from "../errors.js";
import { MANIFEST_SCHEMA, measureExpanded } from "../render/parse.js";
import { yamlReason } from "./documents.js";
import {
  type FieldTable,
  type FieldWalk,
  fieldTable,
  isRecord,
  objects,
  path,
  paths,
  type Reference,
  recordAt,
  walkFields,
} from "./fields.js";
import { HELM_KUSTOMIZATION_FIELDS } from "./helm-charts.js";

/** KUSTOMIZATION_NAMES are the file names kustomize reads as a directory's kustomization, in its order. */
export const KUSTOMIZATION_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"] as const;

/** withoutKey is a generator's `files` entry without its `key=` prefix: kustomize splits at the `=`. */
function withoutKey(entry: string): string {
  const eq = entry.indexOf("=");
  return eq === -1 ? entry : entry.slice(eq + 1);
}

/** PATCH_FIELDS are the fields of a `patches` or `patchesJson6902` entry (api/types/patch.go). */
const PATCH_FIELDS = fieldTable({ path: path("file"), patch: null, target: null, options: null });

/** REPLACEMENT_FIELDS are the fields of a `replacements` entry (api/types/replacementfield.go). */
export const REPLACEMENT_FIELDS = fieldTable({
  path: path("file"),
  source: null,
  targets: null,
  sourceValue: null,
});

/** GENERATOR_FIELDS are the fields of a ConfigMap generator's arguments (api/types/generatorargs.go). */
export const GENERATOR_FIELDS = fieldTable({
  namespace: null,
  name: null,
  behavior: null,
  options: null,
  literals: null,
  files: paths("file", withoutKey),
  envs: paths("file"),
  env: path("file"),
});

/** SECRET_GENERATOR_FIELDS are a Secret generator's: a ConfigMap generator's and the Secret's type. */
export const SECRET_GENERATOR_FIELDS: FieldTable = new Map([...GENERATOR_FIELDS, ["type", null]]);

const openapi: FieldWalk = (value, field, out, file) => {
  // A map, not a struct: kustomize looks up the key "path" exactly.
  if (value !== undefined && value !== null)
    path("file")(recordAt(value, field, file).path, `${field}.path`, out, file);
};

/**
 * KUSTOMIZATION_FIELDS is every field of a kustomization (api/types/kustomization.go), each with how kustomize
 * reads the files it names (api/internal/target/kusttarget.go, kusttarget_configplugin.go).
 */
const KUSTOMIZATION_FIELDS = fieldTable({
  apiVersion: null,
  kind: null,
  metadata: null,
  openapi,
  namePrefix: null,
  nameSuffix: null,
  namespace: null,
  commonLabels: null,
  labels: null,
  commonAnnotations: null,
  patchesStrategicMerge: paths("patch"),
  patchesJson6902: objects(PATCH_FIELDS),
  patches: objects(PATCH_FIELDS),
  images: null,
  imageTags: null,
  replacements: objects(REPLACEMENT_FIELDS),
  replicas: null,
  vars: null,
  sortOptions: null,
  resources: paths("target"),
  components: paths("target"),
  crds: paths("file"),
  bases: paths("target"),
  configMapGenerator: objects(GENERATOR_FIELDS),
  secretGenerator: objects(SECRET_GENERATOR_FIELDS),
  generatorOptions: null,
  configurations: paths("file"),
  generators: paths("plugin"),
  transformers: paths("plugin"),
  validators: paths("plugin"),
  buildMetadata: null,
  ...HELM_KUSTOMIZATION_FIELDS,
});

/**
 * parseKustomization reads a kustomization file with the same bounded YAML reader as manifests: an alias bomb is
 * refused before anything walks it. The deprecated `helmChartInflationGenerator` is refused here; the rest of what
 * the file names is checked by {@link kustomizationReferences}.
 */
export function parseKustomization(path: string, text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: MANIFEST_SCHEMA, filename: path });
    measureExpanded(path, [doc]);
  } catch (error: unknown) {
    throw new DesiredSetError("E_KUSTOMIZE_INVALID", path, yamlReason(error), { cause: error });
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc))
    throw new DesiredSetError(
      "E_KUSTOMIZE_INVALID",
      path,
      "expected a mapping (a kustomization), got a list",
    );
  // The deprecated form kustomize converts into helmCharts: one form to check is enough, and it is the documented one.
  if (doc.helmChartInflationGenerator !== undefined)
    throw new DesiredSetError(
      "E_KUSTOMIZE_INVALID",
      path,
      "helmChartInflationGenerator: the deprecated form of helmCharts is not read; write the chart as a helmCharts entry (name, valuesFile, valuesInline, releaseName, namespace)",
    );
  return doc;
}

/**
 * kustomizationReferences lists everything a parsed kustomization names, in the order of its fields. A field
 * kustomize does not have, or one spelled other than kustomize spells it, is refused, as is a value of the wrong
 * shape: what the walk cannot read, kustomize must not read either.
 */
export function kustomizationReferences(file: string, doc: Readonly<Record<string, unknown>>): Reference[] {
  const refs: Reference[] = [];
  walkFields(doc, KUSTOMIZATION_FIELDS, "", refs, file);
  return refs;
}
