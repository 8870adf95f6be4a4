import yaml from "js-yaml";
import { RenderError } from "../render/errors.js";
import { MANIFEST_SCHEMA, measureExpanded } from "../render/parse.js";
import { KustomizeError } from "./errors.js";

/** KUSTOMIZATION_NAMES are the file names kustomize reads as a directory's kustomization, in its order. */
export const KUSTOMIZATION_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"] as const;

/**
 * Reference is one path a kustomization names. `target` may be a directory (another kustomization) or a file;
 * `file` only a file. `inline` says the entry may also be inline YAML rather than a path (a patch, a plugin's
 * configuration), which kustomize decides by whether the file exists.
 */
export interface Reference {
  /** field is where the entry sits, as an error names it: `resources[2]`, `configMapGenerator[0].files[1]`. */
  readonly field: string;
  readonly value: string;
  readonly kind: "target" | "file";
  readonly inline?: true;
}

/** HELM_FIELDS run `helm template`, another program fetching charts from the network: refused, not ignored. */
const HELM_FIELDS = ["helmCharts", "helmChartInflationGenerator", "helmGlobals"] as const;

/**
 * parseKustomization reads a kustomization file with the same bounded YAML reader as manifests: an alias bomb is
 * refused before anything walks it. A field that is not the shape kustomize expects is left for kustomize to report
 * in its own words; only what the controller itself refuses (helm) is an error here.
 */
export function parseKustomization(path: string, text: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: MANIFEST_SCHEMA, filename: path });
    measureExpanded(path, [doc]);
  } catch (error: unknown) {
    const reason =
      error instanceof RenderError
        ? error.reason
        : `invalid YAML: ${error instanceof yaml.YAMLException ? error.reason : String(error)}`;
    throw new KustomizeError("E_KUSTOMIZE_INVALID", path, reason, { cause: error });
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc))
    throw new KustomizeError("E_KUSTOMIZE_INVALID", path, "expected a mapping (a kustomization), got a list");
  for (const field of HELM_FIELDS)
    if (doc[field] !== undefined)
      throw new KustomizeError(
        "E_KUSTOMIZE_INVALID",
        path,
        `${field}: helm charts are not supported (kustomize would run helm and fetch charts); render the chart into the repository instead`,
      );
  return doc;
}

/** kustomizationReferences lists every path a parsed kustomization names, in the order of its fields. */
export function kustomizationReferences(doc: Readonly<Record<string, unknown>>): Reference[] {
  const refs: Reference[] = [];
  const add = (field: string, value: unknown, kind: Reference["kind"], inline = false) => {
    if (typeof value !== "string" || value === "") return;
    refs.push({ field, value, kind, ...(inline ? { inline: true as const } : {}) });
  };
  const each = (field: string, fn: (item: unknown, at: string) => void) => {
    for (const [i, item] of listOf(doc[field]).entries()) fn(item, `${field}[${i}]`);
  };
  for (const field of ["resources", "bases", "components"])
    each(field, (item, at) => add(at, item, "target"));
  for (const field of ["patches", "patchesJson6902", "replacements"])
    each(field, (item, at) => {
      if (isRecord(item)) add(`${at}.path`, item.path, "file");
    });
  each("patchesStrategicMerge", (item, at) => add(at, item, "file", true));
  for (const field of ["crds", "configurations"]) each(field, (item, at) => add(at, item, "file"));
  if (isRecord(doc.openapi)) add("openapi.path", doc.openapi.path, "file");
  for (const field of ["configMapGenerator", "secretGenerator"])
    each(field, (item, at) => {
      if (!isRecord(item)) return;
      for (const [j, entry] of listOf(item.files).entries())
        add(`${at}.files[${j}]`, withoutKey(entry), "file");
      for (const [j, entry] of listOf(item.envs).entries()) add(`${at}.envs[${j}]`, entry, "file");
      add(`${at}.env`, item.env, "file");
    });
  for (const field of ["transformers", "generators", "validators"])
    each(field, (item, at) => add(at, item, "target", true));
  return refs;
}

/** withoutKey is a generator's `files` entry without its `key=` prefix: kustomize splits at the first `=`. */
function withoutKey(entry: unknown): unknown {
  if (typeof entry !== "string") return entry;
  const eq = entry.indexOf("=");
  return eq === -1 ? entry : entry.slice(eq + 1);
}

const REMOTE_PATTERNS = [
  /^[a-z][a-z0-9+.-]*:\/\//i, // https://, http://, ssh://, file://, git::https://
  /^[a-z][a-z0-9+.-]*::/i, // go-getter forcing: git::, s3::
  /^git@/i,
  /^gh:/i,
  /^(?:www\.)?(?:github|gitlab|bitbucket)\.(?:com|org)\//i,
  /\?(?:ref|version|submodules|timeout)=/i,
  /\/\//, // kustomize's `repo//path` remote syntax
];

/** isRemote says whether a reference is a URL or a remote repository spec rather than a path in this repository. */
export function isRemote(value: string): boolean {
  return REMOTE_PATTERNS.some((pattern) => pattern.test(value));
}

function listOf(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
