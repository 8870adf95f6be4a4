import { posix } from "node:path";
import { DesiredSetError } from "../errors.js";
import { inlineDocuments, loadDocuments } from "./documents.js";
import type { Reference } from "./fields.js";
import { type HelmChartEntry, helmChartsOf } from "./helm-charts.js";
import { pluginConfigReferences } from "./plugin-configs.js";
import { kustomizationReferences, parseKustomization } from "./references.js";
import { isRemote, startsLikeUrl } from "./remote.js";

/** RemoteReference is a URL a kustomization names, with the file and entry that name it. */
export interface RemoteReference {
  readonly file: string;
  readonly field: string;
  readonly url: string;
}

/**
 * ChartUse is a `helmCharts` entry a build renders: the file and entry naming it, and either the repository
 * directory of a local chart or the chart repository it is pulled from.
 */
export interface ChartUse {
  readonly file: string;
  readonly field: string;
  readonly name: string;
  /** dir is the chart's directory in the repository, for a chart kustomize reads from its chart home. */
  readonly dir?: string;
  /** repo is the chart repository of an entry naming one: fetched by helm, so remote. */
  readonly repo?: string;
}

/** WalkLimits bound one walk. */
export interface WalkLimits {
  readonly maxKustomizations: number;
  readonly maxDepth: number;
}

/** WalkInput is the repository a walk reads: its files, and a reader of their text. */
export interface WalkInput {
  readonly files: ReadonlySet<string>;
  readonly isDirectory: (path: string) => boolean;
  /** kustomizationIn is the kustomization file of a directory, if it has one. */
  readonly kustomizationIn: (dir: string) => string | undefined;
  /** filesUnder is every file below a directory, at any depth. */
  readonly filesUnder: (dir: string) => readonly string[];
  readonly readText: (path: string) => Promise<string>;
  readonly limits: WalkLimits;
}

/** WalkResult is every repository path a build may read, every remote reference, and every chart it renders. */
export interface WalkResult {
  readonly paths: Set<string>;
  readonly remote: RemoteReference[];
  readonly charts: ChartUse[];
}

/**
 * A kustomization that is a `generators`, `transformers` or `validators` entry is built and its output used as
 * plugin configurations, which are then configured against the kustomization that lists it. Any field that
 * changes resources (patches, transformers, name prefixes with custom field specs, …) could rewrite a
 * configuration after the walk read it, so only these are accepted there.
 */
const PLUGIN_DIRECTORY_FIELDS = new Set(["apiVersion", "kind", "metadata", "resources", "bases"]);

/** Where a kustomization sits in the walk: its chain of parents, and, for a plugin directory, whose plugins. */
interface Visit {
  readonly dir: string;
  readonly file: string;
  readonly chain: readonly string[];
  /** anchor is, for a plugin directory, the directory of the kustomization its configurations are loaded for. */
  readonly anchor?: string;
}

/**
 * walkFrom reads the kustomization `file` of `dir` and everything it names, transitively: kustomizations
 * (resources, bases, components), the files they load (patches, generator files, CRDs, configurations, OpenAPI
 * schemas, replacements, values files), every file of each local Helm chart, and every plugin configuration (inline, in a file, or in a kustomization directory) with
 * the files it loads in turn. Paths resolve against the kustomization naming them; a plugin configuration's against
 * the kustomization listing the plugin, as kustomize configures it there. A path out of the repository, a cycle, a
 * bound passed, a field or plugin the walk does not know, or a plugin entry that is neither inline YAML nor a file
 * or kustomization of the repository, is an `E_KUSTOMIZE_INVALID` error naming the file and the entry.
 */
export async function walkFrom(dir: string, file: string, input: WalkInput): Promise<WalkResult> {
  const walk = new Walk(input);
  await walk.kustomization({ dir, file, chain: [] });
  return { paths: walk.paths, remote: walk.remote, charts: walk.charts };
}

/** Walk is one walk's state: what it found, and what it has read already. */
class Walk {
  readonly paths = new Set<string>();
  readonly remote: RemoteReference[] = [];
  readonly charts: ChartUse[] = [];
  private readonly visited = new Set<string>();
  private readonly configsRead = new Map<string, Promise<unknown[]>>();
  private readonly configsWalked = new Set<string>();

  constructor(private readonly input: WalkInput) {}

  async kustomization(at: Visit): Promise<void> {
    const { limits } = this.input;
    const via = at.chain.at(-1) ?? at.file;
    if (at.chain.length > limits.maxDepth)
      throw invalid(via, `kustomizations nest deeper than ${limits.maxDepth} levels`);
    if (this.visited.size >= limits.maxKustomizations)
      throw invalid(via, `a build may read at most ${limits.maxKustomizations} kustomizations`);
    this.visited.add(visitKey(at.dir, at.anchor));
    this.paths.add(at.file);
    const doc = parseKustomization(at.file, await this.input.readText(at.file));
    if (at.anchor !== undefined)
      for (const key of Object.keys(doc))
        if (!PLUGIN_DIRECTORY_FIELDS.has(key))
          throw invalid(
            at.file,
            `${key}: a kustomization of plugin configurations (a generators, transformers or validators entry) may list only resources; ${key} could change a configuration after the controller checked it`,
          );
    for (const ref of kustomizationReferences(at.file, doc))
      await (ref.kind === "plugin" || ref.kind === "patch" ? this.inlineOrPath(ref, at) : this.path(ref, at));
    for (const chart of helmChartsOf(at.file, doc)) this.chart(chart, at);
  }

  /**
   * chart follows a `helmCharts` entry: one naming a chart repository is remote (kustomize would have helm pull it
   * when the chart home lacks it); any other must be a chart of the repository, every file of which helm reads.
   */
  private chart(chart: HelmChartEntry, at: Visit): void {
    const { field, name, repo } = chart;
    if (repo !== undefined) {
      this.remote.push({ file: at.file, field: `${field}.repo`, url: repo });
      this.charts.push({ file: at.file, field, name, repo });
      return;
    }
    const dir = resolve(at.dir, chart.path);
    if (dir === undefined)
      throw invalid(at.file, `${field}: chart "${chart.path}" is outside the repository`);
    if (!this.input.files.has(`${dir}/Chart.yaml`))
      throw invalid(
        at.file,
        `${field}: no chart ${dir} in the repository (no ${dir}/Chart.yaml): a local chart is the directory <chartHome>/<name> next to the kustomization (chartHome: helmGlobals.chartHome, default "charts"); a chart from a chart repository needs repo: and allow_remote_bases`,
      );
    for (const path of this.input.filesUnder(dir)) this.paths.add(path);
    this.charts.push({ file: at.file, field, name, dir });
  }

  /** path follows an entry that is a path: a file, a kustomization directory, or a URL. */
  private async path(ref: Reference, at: Visit): Promise<void> {
    const { field, value } = ref;
    if (isRemote(value)) return void this.remote.push({ file: at.file, field, url: value });
    const target = resolve(at.dir, value);
    if (target === undefined) throw invalid(at.file, `${field}: "${value}" is outside the repository`);
    if (at.anchor !== undefined) {
      // In a plugin directory every resource is a plugin configuration: one the walk cannot read is refused.
      if (!(await this.pluginPath(target, ref, at, at.anchor)))
        throw invalid(at.file, `${field}: "${value}" is not a file or kustomization of the repository`);
      return;
    }
    if (this.input.files.has(target)) this.paths.add(target);
    // A path that exists nowhere is left out: kustomize reports it in its own words.
    else if (ref.kind === "target" && this.input.isDirectory(target)) await this.base(target, ref, at);
  }

  /**
   * inlineOrPath follows a patch or plugin entry, which kustomize reads inline when it parses as resources and as a
   * path otherwise. When both readings are possible, both are walked.
   */
  private async inlineOrPath(ref: Reference, at: Visit): Promise<void> {
    const { field, value } = ref;
    if (startsLikeUrl(value)) return void this.remote.push({ file: at.file, field, url: value });
    const docs = inlineDocuments(at.file, field, value);
    if (ref.kind === "plugin")
      for (const [i, doc] of (docs ?? []).entries())
        await this.config(at.file, docs?.length === 1 ? field : `${field} document ${i + 1}`, doc, at.dir);
    if (docs === undefined && isRemote(value))
      return void this.remote.push({ file: at.file, field, url: value });
    const target = resolve(at.dir, value);
    if (target === undefined) {
      if (docs !== undefined) return;
      throw invalid(at.file, `${field}: "${value}" is outside the repository`);
    }
    if (ref.kind === "patch") {
      if (this.input.files.has(target)) this.paths.add(target);
      return;
    }
    if (!(await this.pluginPath(target, ref, at, at.dir)) && docs === undefined)
      throw invalid(
        at.file,
        `${field}: "${value}" is neither a plugin configuration (apiVersion, kind, metadata.name) nor a file or kustomization of the repository`,
      );
  }

  /** base visits the kustomization of a directory an entry names; false when the directory has none. */
  private async base(target: string, ref: Reference, at: Visit, anchor?: string): Promise<boolean> {
    const next = this.input.kustomizationIn(target);
    if (next === undefined) return false;
    if (at.chain.includes(next) || next === at.file)
      throw invalid(
        at.file,
        `${ref.field}: "${ref.value}" makes a cycle (${[...at.chain, at.file, next].join(" → ")})`,
      );
    if (!this.visited.has(visitKey(target, anchor)))
      await this.kustomization({
        dir: target,
        file: next,
        chain: [...at.chain, at.file],
        ...(anchor === undefined ? {} : { anchor }),
      });
    return true;
  }

  /** pluginPath walks a file or kustomization directory of plugin configurations; false when it is neither. */
  private async pluginPath(target: string, ref: Reference, at: Visit, anchor: string): Promise<boolean> {
    if (!this.input.files.has(target))
      return this.input.isDirectory(target) && (await this.base(target, ref, at, anchor));
    this.paths.add(target);
    const key = `${target}\n${anchor}`;
    if (this.configsWalked.has(key)) return true;
    this.configsWalked.add(key);
    let read = this.configsRead.get(target);
    if (read === undefined) {
      read = this.input.readText(target).then((text) => loadDocuments(target, text));
      this.configsRead.set(target, read);
    }
    for (const [i, doc] of (await read).entries())
      await this.config(target, `document ${i + 1}`, doc, anchor);
    return true;
  }

  /** config walks one plugin configuration, resolving what it names against `anchor`. */
  private async config(file: string, where: string, doc: unknown, anchor: string): Promise<void> {
    for (const ref of pluginConfigReferences(file, where, doc)) {
      const at = { dir: anchor, file, chain: [] };
      await (ref.kind === "patch" ? this.inlineOrPath(ref, at) : this.path(ref, at));
    }
  }
}

function visitKey(dir: string, anchor: string | undefined): string {
  return anchor === undefined ? dir : `${dir}\n${anchor}`;
}

/** resolve is `value` relative to `dir`, from the repository root; undefined when it leaves the repository. */
function resolve(dir: string, value: string): string | undefined {
  if (value.startsWith("/")) return undefined;
  const joined = posix.normalize(posix.join(dir, value)).replace(/\/+$/, "");
  if (joined === ".." || joined.startsWith("../")) return undefined;
  return joined === "." ? "" : joined;
}

function invalid(file: string, reason: string): DesiredSetError {
  return new DesiredSetError("E_KUSTOMIZE_INVALID", file, reason);
}
