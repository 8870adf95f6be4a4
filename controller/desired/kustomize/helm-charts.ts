import { posix } from "node:path";
import {
  type FieldWalk,
  fieldTable,
  isRecord,
  objects,
  path,
  paths,
  recordAt,
  refusal,
  walkFields,
} from "./fields.js";

/** DEFAULT_CHART_HOME is where kustomize looks for a kustomization's charts when `helmGlobals.chartHome` is unset. */
export const DEFAULT_CHART_HOME = "charts";

/**
 * HELM_CHART_FIELDS are the fields of a `helmCharts` entry (api/types/helmchartargs.go, HelmChart, kustomize v5.5
 * to v5.7). Only the values files name files of the repository; `name` and `repo` are read by {@link helmChartsOf}.
 */
const HELM_CHART_FIELDS = fieldTable({
  name: null,
  version: null,
  repo: null,
  releaseName: null,
  namespace: null,
  additionalValuesFiles: paths("file"),
  valuesFile: path("file"),
  valuesInline: null,
  valuesMerge: null,
  includeCRDs: null,
  skipHooks: null,
  apiVersions: null,
  kubeVersion: null,
  nameTemplate: null,
  skipTests: null,
  debug: null,
  devel: null,
});

// helm reads its repositories, registry logins and plugins from its config home: anywhere but the temporary one
// kustomize makes per build, that is the controller's filesystem (and credentials) handed to git's content.
const configHome: FieldWalk = (value, field, _out, file) => {
  if (value !== undefined && value !== null && value !== "")
    throw refusal(
      file,
      field,
      "helm's config home is not set from git (it would read the controller's files); remove it, kustomize gives helm a fresh one per build",
    );
};

const HELM_GLOBALS_FIELDS = fieldTable({ chartHome: null, configHome });

/** HELM_KUSTOMIZATION_FIELDS are a kustomization's helm fields, for its field table. */
export const HELM_KUSTOMIZATION_FIELDS = {
  helmCharts: objects(HELM_CHART_FIELDS),
  helmGlobals: ((value, field, out, file) => {
    if (value !== undefined && value !== null)
      walkFields(recordAt(value, field, file), HELM_GLOBALS_FIELDS, field, out, file);
  }) satisfies FieldWalk,
} as const;

/** HelmChartEntry is one `helmCharts` entry of a kustomization, as the walk follows it. */
export interface HelmChartEntry {
  /** field is the entry's place, as errors name it: `helmCharts[1]`. */
  readonly field: string;
  readonly name: string;
  /** path is where kustomize looks for the chart, relative to the kustomization: `<chartHome>/<name>`. */
  readonly path: string;
  /** repo is the chart repository the chart is pulled from when it is not in `path`, if the entry names one. */
  readonly repo?: string;
}

/**
 * helmChartsOf lists the `helmCharts` entries of a kustomization whose fields {@link HELM_KUSTOMIZATION_FIELDS}
 * accepted, each with the path its chart is read from. An entry without a chart name, or a name or chart home that
 * is not a string, is an `E_KUSTOMIZE_INVALID` error naming the field.
 */
export function helmChartsOf(file: string, doc: Readonly<Record<string, unknown>>): HelmChartEntry[] {
  const charts = doc.helmCharts;
  if (!Array.isArray(charts)) return [];
  const home = chartHome(file, doc.helmGlobals);
  return charts.map((chart, i) => {
    const field = `helmCharts[${i}]`;
    const entry = recordAt(chart, field, file);
    const name = entry.name;
    if (typeof name !== "string" || name === "")
      throw refusal(file, `${field}.name`, "expected the chart's name (its directory under the chart home)");
    const repo = optionalString(file, `${field}.repo`, entry.repo);
    return { field, name, path: posix.join(home, name), ...(repo === undefined ? {} : { repo }) };
  });
}

function chartHome(file: string, globals: unknown): string {
  if (!isRecord(globals)) return DEFAULT_CHART_HOME;
  return optionalString(file, "helmGlobals.chartHome", globals.chartHome) ?? DEFAULT_CHART_HOME;
}

function optionalString(file: string, field: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string") throw refusal(file, field, "expected a string");
  return value;
}
