import { DesiredSetError } from "../errors.js";
import type { ChartUse } from "./closure.js";
import { PINNED_HELM_VERSION } from "./helm-binary.js";
import { bounded, inRepositoryTerms } from "./message.js";

/** chartName is how an error names a chart: the entry, and the chart's directory or repository. */
export function chartName(chart: ChartUse): string {
  return `${chart.field} (chart ${chart.dir ?? `${chart.name} from ${chart.repo}`})`;
}

/** helmNotFound is the `E_HELM_NOT_FOUND` error of a build whose first chart has no helm to render it. */
export function helmNotFound(chart: ChartUse, why: string): DesiredSetError {
  return new DesiredSetError(
    "E_HELM_NOT_FOUND",
    chart.file,
    `${chartName(chart)}: no helm to render it: ${why}; nothing of the service was applied. Install helm v3 (${PINNED_HELM_VERSION} is the version tested: the image has it at /usr/local/bin/helm, and scripts/helm.sh build puts it where a checkout's controller finds it), or set \`helm_bin\` in the config to its path.`,
  );
}

// kustomize runs helm and wraps a failure as `<helm's stderr>: unable to run: '<helm> <args>' with env=[…] (is
// '<helm>' installed?): <exit status>` (api/internal/builtins/HelmChartInflationGenerator.go, runHelmCommand).
const RUN_FAILED = ": unable to run: '";
const INSTALLED = /' with env=\[[^\]]*\] \(is '[^']*' installed\?\): ([^\n]*)/;
// kustomize asks helm its version first and needs 3.
const NOT_V3 = /this plugin requires helm V3 but got (\S+)/;

/**
 * helmFailure is the error of a failed build that helm failed in: `E_HELM_RENDER` with helm's own message for the
 * chart it was rendering (or pulling), `E_HELM_NOT_FOUND` when `helm` could not run or is not helm v3; undefined when
 * kustomize failed on its own. `stderr` is kubectl's, `helm` the binary it was given, `checkout` the build's
 * directory (its paths become repository paths).
 */
export function helmFailure(
  stderr: string,
  charts: readonly ChartUse[],
  helm: string,
  checkout: string,
): DesiredSetError | undefined {
  const text = inRepositoryTerms(stderr, checkout);
  const first = charts[0];
  if (first === undefined) return undefined;
  const notV3 = NOT_V3.exec(text);
  if (notV3)
    return helmNotFound(first, `${helm} is helm ${notV3[1]}, and kustomize renders charts with helm v3`);
  const at = text.indexOf(`${RUN_FAILED}${helm} `);
  if (at === -1) return undefined;
  const rest = text.slice(at + RUN_FAILED.length + helm.length + 1);
  const end = INSTALLED.exec(rest);
  const args = (end ? rest.slice(0, end.index) : rest).split(" ");
  const status = end?.[1] ?? "failed";
  const said = helmSaid(text.slice(0, at));
  if (args[0] === "version") return helmNotFound(first, `${helm} could not run: ${said || status}`);
  const chart = chartOf(args, charts) ?? first;
  return new DesiredSetError(
    "E_HELM_RENDER",
    chart.file,
    `${chartName(chart)}: helm ${args[0] ?? "template"} failed: ${bounded(said || status)}`,
  );
}

/** helmSaid is helm's own message without its `Error: ` prefix and its advice about flags kustomize sets. */
function helmSaid(stderr: string): string {
  return stderr
    .replace(/^\s*Error: /, "")
    .replace(/\n\s*Use --debug flag to render out invalid YAML\s*/, "\n")
    .trim();
}

/** chartOf is the chart a helm command line was about: its directory (template), or its name and repository (pull). */
function chartOf(args: readonly string[], charts: readonly ChartUse[]): ChartUse | undefined {
  return charts.find((chart) =>
    chart.dir !== undefined
      ? args.includes(chart.dir)
      : args.includes(chart.name) || args.some((arg) => arg.endsWith(`/${chart.name}`)),
  );
}
