import { describe, expect, it } from "vitest";
import { rejection } from "../../../test/kustomize-support.js";
import type { DesiredSetError } from "../errors.js";
import { aliasBomb } from "../render/hostile-yaml.js";
import {
  kustomizeClosure,
  MAX_KUSTOMIZATION_DEPTH,
  MAX_KUSTOMIZATIONS,
  walkKustomization,
} from "./closure.js";

/** repo is a repository's tree as the source lists it, and a reader that records what was read. */
function repo(files: Record<string, string>) {
  const entries = Object.keys(files).map((path) => ({
    path,
    sha: `sha-${path}`,
    size: files[path]?.length ?? 0,
  }));
  const reads: string[] = [];
  const readText = async (path: string) => {
    reads.push(path);
    const text = files[path];
    if (text === undefined) throw new Error(`read of ${path}, which is not in the tree`);
    return text;
  };
  return { entries, reads, readText };
}

const k = (lines: readonly string[]) => `${lines.join("\n")}\n`;
const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n";
/** plugin is the configuration of builtin plugin `kind`, with `body` (YAML lines) as its fields. */
const plugin = (kind: string, body: string) =>
  `apiVersion: builtin\nkind: ${kind}\nmetadata: {name: ${kind.toLowerCase()}}\n${body}\n`;

describe("kustomizeClosure", () => {
  it("is undefined for a directory without a kustomization, reading nothing", async () => {
    const r = repo({ "svc/a.yaml": cm, "other/kustomization.yaml": k(["resources: [a.yaml]"]) });
    expect(await kustomizeClosure("svc", r.entries, r.readText)).toBeUndefined();
    expect(r.reads).toEqual([]);
  });

  it("follows an overlay into its base and collects every file either names, and nothing else", async () => {
    const r = repo({
      "base/kustomization.yaml": k(["resources: [deploy.yaml, service.yaml]"]),
      "base/deploy.yaml": cm,
      "base/service.yaml": cm,
      "base/unused.yaml": cm,
      "overlays/dev/kustomization.yaml": k([
        "resources: [../../base]",
        "patches: [{path: replicas.yaml, target: {kind: Deployment}}]",
        "configMapGenerator:",
        "- name: settings",
        "  files: [app.properties, custom-key=conf/log.conf]",
        "  envs: [vars.env]",
        "secretGenerator: [{name: s, env: secret.env}]",
      ]),
      "overlays/dev/replicas.yaml": cm,
      "overlays/dev/app.properties": "a=b",
      "overlays/dev/conf/log.conf": "x",
      "overlays/dev/vars.env": "A=1",
      "overlays/dev/secret.env": "B=2",
      "overlays/dev/notes.md": "not read by the build",
      "overlays/prod/kustomization.yaml": k(["resources: [../../base]"]),
    });
    const closure = await kustomizeClosure("overlays/dev", r.entries, r.readText);
    expect(closure).toEqual({
      paths: [
        "base/deploy.yaml",
        "base/kustomization.yaml",
        "base/service.yaml",
        "overlays/dev/app.properties",
        "overlays/dev/conf/log.conf",
        "overlays/dev/kustomization.yaml",
        "overlays/dev/replicas.yaml",
        "overlays/dev/secret.env",
        "overlays/dev/vars.env",
      ],
      remote: [],
    });
    // Only kustomizations are read: the files they name are listed, not fetched.
    expect(r.reads.sort()).toEqual(["base/kustomization.yaml", "overlays/dev/kustomization.yaml"]);
  });

  it('reads the kustomization at the repository root for the directory ""', async () => {
    const r = repo({ Kustomization: k(["resources: [app/deploy.yaml]"]), "app/deploy.yaml": cm });
    expect((await kustomizeClosure("", r.entries, r.readText))?.paths).toEqual([
      "Kustomization",
      "app/deploy.yaml",
    ]);
  });

  it("collects every kind of file reference kustomize reads", async () => {
    const r = repo({
      "svc/kustomization.yml": k([
        "resources: [r.yaml]",
        "components: [../comp]",
        "patchesStrategicMerge:",
        "- psm.yaml",
        "- |-",
        "  apiVersion: v1",
        "  kind: ConfigMap",
        "  metadata: {name: inline}",
        "patchesJson6902: [{path: json.yaml, target: {kind: ConfigMap, name: x}}]",
        "crds: [crd.json]",
        "configurations: [conf.yaml]",
        "openapi: {path: schema.json}",
        "replacements: [{path: repl.yaml}, {source: {kind: ConfigMap}, targets: []}]",
        "transformers: [tr.yaml, ../plugins]",
        "generators: [gen.yaml]",
        "validators: [val.yaml]",
      ]),
      "svc/r.yaml": cm,
      "svc/psm.yaml": cm,
      "svc/json.yaml": "[]",
      "svc/crd.json": "{}",
      "svc/conf.yaml": "{}",
      "svc/schema.json": "{}",
      "svc/repl.yaml": "{}",
      "svc/tr.yaml": plugin("PatchTransformer", "path: tr-patch.yaml"),
      "svc/tr-patch.yaml": cm,
      "svc/gen.yaml": plugin("ConfigMapGenerator", "files: [k=gen.properties]\nenvs: [gen.env]"),
      "svc/gen.properties": "a=b",
      "svc/gen.env": "A=1",
      "svc/val.yaml": plugin("LabelTransformer", "labels: {a: b}"),
      "comp/kustomization.yaml": k(["kind: Component", "patches: [{path: p.yaml}]"]),
      "comp/p.yaml": cm,
      "plugins/kustomization.yaml": k(["resources: [t.yaml]"]),
      // Configured against svc, the kustomization listing the plugin: its path is svc/json2.yaml.
      "plugins/t.yaml": plugin("PatchJson6902Transformer", "path: json2.yaml\ntarget: {name: x}"),
      "plugins/json2.yaml": "[]",
      "svc/json2.yaml": "[]",
    });
    const closure = await kustomizeClosure("svc", r.entries, r.readText);
    expect(closure?.paths).toEqual(
      [
        "comp/kustomization.yaml",
        "comp/p.yaml",
        "plugins/kustomization.yaml",
        "plugins/t.yaml",
        "svc/conf.yaml",
        "svc/crd.json",
        "svc/gen.env",
        "svc/gen.properties",
        "svc/gen.yaml",
        "svc/json.yaml",
        "svc/json2.yaml",
        "svc/kustomization.yml",
        "svc/psm.yaml",
        "svc/r.yaml",
        "svc/repl.yaml",
        "svc/schema.json",
        "svc/tr-patch.yaml",
        "svc/tr.yaml",
        "svc/val.yaml",
      ].sort(),
    );
  });

  it("reads a base shared by two components once", async () => {
    const r = repo({
      "svc/kustomization.yaml": k(["resources: [../a, ../b]"]),
      "a/kustomization.yaml": k(["resources: [../base]"]),
      "b/kustomization.yaml": k(["resources: [../base/]"]),
      "base/kustomization.yaml": k(["resources: [x.yaml]"]),
      "base/x.yaml": cm,
    });
    const closure = await kustomizeClosure("svc", r.entries, r.readText);
    expect(closure?.paths).toContain("base/x.yaml");
    expect(r.reads.filter((path) => path === "base/kustomization.yaml")).toHaveLength(1);
  });

  it("leaves out a path that exists nowhere, for kustomize to report", async () => {
    const r = repo({ "svc/kustomization.yaml": k(["resources: [missing.yaml, ../nowhere]"]) });
    expect((await kustomizeClosure("svc", r.entries, r.readText))?.paths).toEqual(["svc/kustomization.yaml"]);
  });

  it.each([
    ["a resource", "resources: [https://example.com/x.yaml]", "https://example.com/x.yaml"],
    [
      "a remote base",
      "resources: ['github.com/org/repo//deploy?ref=v1']",
      "github.com/org/repo//deploy?ref=v1",
    ],
    ["an ssh base", "bases: ['git@github.com:org/repo.git']", "git@github.com:org/repo.git"],
    ["a go-getter base", "resources: ['git::https://example.com/r.git']", "git::https://example.com/r.git"],
    ["a component", "components: ['gitlab.com/org/repo/comp?ref=main']", "gitlab.com/org/repo/comp?ref=main"],
  ])("lists %s as remote, naming its file and entry", async (_name, line, url) => {
    const r = repo({ "svc/kustomization.yaml": k(["patches: [{path: a.yaml}]", line]), "svc/a.yaml": cm });
    const closure = await walkKustomization("svc", r.entries, r.readText);
    expect(closure?.remote).toEqual([
      { file: "svc/kustomization.yaml", field: `${line.split(":")[0]}[0]`, url },
    ]);
    expect(closure?.paths).toEqual(["svc/a.yaml", "svc/kustomization.yaml"]);
    expect((await kustomizeClosure("svc", r.entries, r.readText))?.remote).toEqual([url]);
  });

  // Every way a kustomization can make kustomize load a URL: the walk must list each as remote, naming where.
  const URL = "http://127.0.0.1:8080/x";
  const KUST = "svc/kustomization.yaml";
  it.each<[string, Record<string, string>, { file: string; field: string; url?: string }]>([
    ["a resource", { [KUST]: k([`resources: ["${URL}"]`]) }, { file: KUST, field: "resources[0]" }],
    ["a component", { [KUST]: k([`components: ["${URL}"]`]) }, { file: KUST, field: "components[0]" }],
    [
      "a base over ssh as any user",
      { [KUST]: k(["bases: ['deploy@git.example.com:org/repo']"]) },
      {
        file: KUST,
        field: "bases[0]",
        url: "deploy@git.example.com:org/repo",
      },
    ],
    [
      "github.com: without a scheme",
      { [KUST]: k(["resources: ['GitHub.com:org/repo']"]) },
      {
        file: KUST,
        field: "resources[0]",
        url: "GitHub.com:org/repo",
      },
    ],
    [
      "an http URL without slashes",
      { [KUST]: k(["resources: ['http:127.0.0.1:8080/x']"]) },
      {
        file: KUST,
        field: "resources[0]",
        url: "http:127.0.0.1:8080/x",
      },
    ],
    [
      "a patch path",
      { [KUST]: k([`patches: [{path: "${URL}"}]`]) },
      { file: KUST, field: "patches[0].path" },
    ],
    [
      "a strategic-merge patch",
      { [KUST]: k([`patchesStrategicMerge: ["${URL}"]`]) },
      {
        file: KUST,
        field: "patchesStrategicMerge[0]",
      },
    ],
    [
      "a JSON 6902 patch",
      { [KUST]: k([`patchesJson6902: [{path: "${URL}"}]`]) },
      {
        file: KUST,
        field: "patchesJson6902[0].path",
      },
    ],
    [
      "a replacement",
      { [KUST]: k([`replacements: [{path: "${URL}"}]`]) },
      { file: KUST, field: "replacements[0].path" },
    ],
    ["a CRD", { [KUST]: k([`crds: ["${URL}"]`]) }, { file: KUST, field: "crds[0]" }],
    [
      "a configuration",
      { [KUST]: k([`configurations: ["${URL}"]`]) },
      { file: KUST, field: "configurations[0]" },
    ],
    [
      "an OpenAPI schema",
      { [KUST]: k([`openapi: {path: "${URL}"}`]) },
      { file: KUST, field: "openapi.path" },
    ],
    [
      "a generator's file",
      { [KUST]: k([`configMapGenerator: [{name: c, files: ["k=${URL}"]}]`]) },
      {
        file: KUST,
        field: "configMapGenerator[0].files[0]",
      },
    ],
    [
      "a generator's env file",
      { [KUST]: k([`secretGenerator: [{name: s, env: "${URL}"}]`]) },
      {
        file: KUST,
        field: "secretGenerator[0].env",
      },
    ],
    [
      "a transformers entry",
      { [KUST]: k([`transformers: ["${URL}"]`]) },
      { file: KUST, field: "transformers[0]" },
    ],
    [
      "a multi-line inline PatchTransformer",
      {
        [KUST]: k([
          "transformers:",
          "- |",
          ...plugin("PatchTransformer", `path: ${URL}`)
            .trim()
            .split("\n")
            .map((l) => `  ${l}`),
        ]),
      },
      { file: KUST, field: "transformers[0] (PatchTransformer).path" },
    ],
    [
      "a one-line inline PatchTransformer",
      {
        [KUST]: k([
          `validators: ['{apiVersion: builtin, kind: PatchTransformer, metadata: {name: t}, path: "${URL}"}']`,
        ]),
      },
      { file: KUST, field: "validators[0] (PatchTransformer).path" },
    ],
    [
      "the second document of an inline entry",
      {
        [KUST]: k([
          "generators:",
          "- |",
          ...`${plugin("HashTransformer", "")}---\n${plugin("ConfigMapGenerator", `files: ["${URL}"]`)}`
            .trim()
            .split("\n")
            .map((l) => `  ${l}`),
        ]),
      },
      { file: KUST, field: "generators[0] document 2 (ConfigMapGenerator).files[0]" },
    ],
    [
      "a plugin configuration file",
      {
        [KUST]: k(["transformers: [tr.yaml]"]),
        "svc/tr.yaml": plugin("PatchTransformer", `path: ${URL}`),
      },
      { file: "svc/tr.yaml", field: "document 1 (PatchTransformer).path" },
    ],
    [
      "a later document of a plugin configuration file",
      {
        [KUST]: k(["transformers: [tr.yaml]"]),
        "svc/tr.yaml": `${plugin("LabelTransformer", "labels: {a: b}")}---\n${plugin("PatchStrategicMergeTransformer", `paths: ["${URL}"]`)}`,
      },
      { file: "svc/tr.yaml", field: "document 2 (PatchStrategicMergeTransformer).paths[0]" },
    ],
    [
      "an item of a List of configurations",
      {
        [KUST]: k(["generators: [gen.yaml]"]),
        "svc/gen.yaml": `kind: List\nitems:\n- {apiVersion: builtin, kind: SecretGenerator, metadata: {name: s}, envs: ["${URL}"]}\n`,
      },
      { file: "svc/gen.yaml", field: "document 1.items[0] (SecretGenerator).envs[0]" },
    ],
    [
      "a configuration in a plugin directory",
      {
        [KUST]: k(["transformers: [../plugins]"]),
        "plugins/kustomization.yaml": k(["resources: [nested]"]),
        "plugins/nested/kustomization.yaml": k(["resources: [r.yaml]"]),
        "plugins/nested/r.yaml": plugin("ReplacementTransformer", `replacements: [{path: "${URL}"}]`),
      },
      { file: "plugins/nested/r.yaml", field: "document 1 (ReplacementTransformer).replacements[0].path" },
    ],
    [
      "a ValueAddTransformer's target file",
      {
        [KUST]: k(["transformers: [va.yaml]"]),
        "svc/va.yaml": plugin("ValueAddTransformer", `targetFilePath: ${URL}`),
      },
      { file: "svc/va.yaml", field: "document 1 (ValueAddTransformer).targetFilePath" },
    ],
    [
      "a plugin of a base",
      {
        [KUST]: k(["resources: [../base]"]),
        "base/kustomization.yaml": k(["transformers: [pj.yaml]"]),
        "base/pj.yaml": plugin("PatchJson6902Transformer", `path: ${URL}`),
      },
      { file: "base/pj.yaml", field: "document 1 (PatchJson6902Transformer).path" },
    ],
    [
      "a chart repository",
      { [KUST]: k([`helmCharts: [{name: redis, version: 1.0.0, repo: "${URL}"}]`]) },
      { file: KUST, field: "helmCharts[0].repo" },
    ],
    [
      "a chart's values file",
      {
        [KUST]: k([`helmCharts: [{name: web, valuesFile: "${URL}"}]`]),
        "svc/charts/web/Chart.yaml": "name: web\n",
      },
      { file: KUST, field: "helmCharts[0].valuesFile" },
    ],
    [
      "a chart's additional values file",
      {
        [KUST]: k([`helmCharts: [{name: web, additionalValuesFiles: [v.yaml, "${URL}"]}]`]),
        "svc/charts/web/Chart.yaml": "name: web\n",
      },
      { file: KUST, field: "helmCharts[0].additionalValuesFiles[1]" },
    ],
  ])("lists %s as remote, naming its file and entry", async (_name, tree, expected) => {
    const r = repo(tree);
    const closure = await walkKustomization("svc", r.entries, r.readText);
    expect(closure?.remote).toEqual([{ url: URL, ...expected }]);
  });

  it.each<[string, Record<string, string>, string]>([
    [
      "a field in another letter case",
      { [KUST]: k(["RESOURCES: [a.yaml]"]) },
      `${KUST}: RESOURCES: kustomize reads this as "resources"`,
    ],
    [
      "a field with a Unicode letter Go folds",
      { [KUST]: k(["reſources: [a.yaml]"]) },
      `${KUST}: reſources: not a field`,
    ],
    [
      "a nested field in another letter case",
      { [KUST]: k(["patches: [{PATH: a.yaml}]"]) },
      `${KUST}: patches[0].PATH: kustomize reads this as "path"`,
    ],
    [
      "a field kustomize does not have",
      { [KUST]: k(["resourcez: [a.yaml]"]) },
      `${KUST}: resourcez: not a field`,
    ],
    [
      "a list written as a string",
      { [KUST]: k(["resources: a.yaml"]) },
      `${KUST}: resources: expected a list, got a string`,
    ],
    [
      "a path written as a mapping",
      { [KUST]: k(["resources: [{path: a.yaml}]"]) },
      `${KUST}: resources[0]: expected a string, got a mapping`,
    ],
    [
      "a patch written as a string",
      { [KUST]: k(["patches: [a.yaml]"]) },
      `${KUST}: patches[0]: expected a mapping, got a string`,
    ],
    [
      "a plugin's field in another letter case",
      {
        [KUST]: k(["transformers: [tr.yaml]"]),
        "svc/tr.yaml": plugin("PatchTransformer", "Path: a.yaml"),
      },
      'svc/tr.yaml: document 1 (PatchTransformer).Path: kustomize reads this as "path"',
    ],
    [
      "an external plugin",
      {
        [KUST]: k(["generators: [gen.yaml]"]),
        "svc/gen.yaml": "apiVersion: example.com/v1\nkind: Fetcher\nmetadata: {name: f}\n",
      },
      'svc/gen.yaml: document 1 (Fetcher): apiVersion "example.com/v1": only kustomize\'s builtin plugins run',
    ],
    [
      "a builtin that is not a plugin",
      {
        [KUST]: k([
          "transformers:",
          "- |",
          "  {apiVersion: builtin, kind: SortOrderTransformer, metadata: {name: s}}",
        ]),
      },
      `${KUST}: transformers[0] (SortOrderTransformer): not one of kustomize's builtin plugins`,
    ],
    [
      "a helm generator",
      {
        [KUST]: k(["generators: [h.yaml]"]),
        "svc/h.yaml": plugin("HelmChartInflationGenerator", "chartName: redis"),
      },
      "svc/h.yaml: document 1 (HelmChartInflationGenerator): a helm chart is rendered only from a kustomization's helmCharts entry",
    ],
    [
      "the deprecated helmChartInflationGenerator",
      { [KUST]: k(["helmChartInflationGenerator: [{chartName: web}]"]) },
      `${KUST}: helmChartInflationGenerator: the deprecated form of helmCharts is not read`,
    ],
    [
      "a chart the repository does not hold",
      { [KUST]: k(["helmCharts: [{name: web}]"]), "svc/charts/web/values.yaml": "a: 1\n" },
      `${KUST}: helmCharts[0]: no chart svc/charts/web in the repository (no svc/charts/web/Chart.yaml)`,
    ],
    [
      "a chart outside the repository",
      { [KUST]: k(["helmGlobals: {chartHome: ../..}", "helmCharts: [{name: web}]"]) },
      `${KUST}: helmCharts[0]: chart "../../web" is outside the repository`,
    ],
    [
      "a chart home at an absolute path",
      { [KUST]: k(["helmGlobals: {chartHome: /opt/charts}", "helmCharts: [{name: web}]"]) },
      `${KUST}: helmCharts[0]: chart "/opt/charts/web" is outside the repository`,
    ],
    [
      "helm's config home",
      { [KUST]: k(["helmGlobals: {configHome: /home/gitops/.config/helm}"]) },
      `${KUST}: helmGlobals.configHome: helm's config home is not set from git`,
    ],
    [
      "a chart without a name",
      { [KUST]: k(["helmCharts: [{releaseName: web}]"]) },
      `${KUST}: helmCharts[0].name: expected the chart's name`,
    ],
    [
      "a chart's field in another letter case",
      { [KUST]: k(["helmCharts: [{name: web, ValuesFile: v.yaml}]"]) },
      `${KUST}: helmCharts[0].ValuesFile: kustomize reads this as "valuesFile"`,
    ],
    [
      "a chart in a plugin directory",
      {
        [KUST]: k(["transformers: [../plugins]"]),
        "plugins/kustomization.yaml": k(["helmCharts: [{name: web}]"]),
      },
      "plugins/kustomization.yaml: helmCharts: a kustomization of plugin configurations",
    ],
    [
      "a plugin entry that is neither inline nor a file",
      { [KUST]: k(["transformers: [missing.yaml]"]) },
      `${KUST}: transformers[0]: "missing.yaml" is neither a plugin configuration`,
    ],
    [
      "a plugin directory that transforms its configurations",
      {
        [KUST]: k(["transformers: [../plugins]"]),
        "plugins/kustomization.yaml": k(["resources: [t.yaml]", "patches: [{path: p.yaml}]"]),
        "plugins/t.yaml": plugin("LabelTransformer", "labels: {a: b}"),
      },
      "plugins/kustomization.yaml: patches: a kustomization of plugin configurations",
    ],
    [
      "a plugin directory's missing resource",
      {
        [KUST]: k(["transformers: [../plugins]"]),
        "plugins/kustomization.yaml": k(["resources: [gone.yaml]"]),
      },
      'plugins/kustomization.yaml: resources[0]: "gone.yaml" is not a file or kustomization',
    ],
    [
      "a plugin configuration of invalid YAML",
      {
        [KUST]: k(["transformers: [tr.yaml]"]),
        "svc/tr.yaml": "path: [\n",
      },
      "svc/tr.yaml: invalid YAML",
    ],
    [
      "a plugin's path out of the repository",
      {
        [KUST]: k(["transformers: [tr.yaml]"]),
        "svc/tr.yaml": plugin("PatchTransformer", "path: ../../etc/passwd"),
      },
      'svc/tr.yaml: document 1 (PatchTransformer).path: "../../etc/passwd" is outside the repository',
    ],
  ])("refuses %s, naming the file and the entry", async (_name, tree, message) => {
    const r = repo({ "svc/a.yaml": cm, ...tree });
    const error = await rejection<DesiredSetError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.code).toBe("E_KUSTOMIZE_INVALID");
    expect(error.message).toContain(message);
  });

  it("reads an inline patch as a patch, and an inline plugin configuration as a configuration", async () => {
    const r = repo({
      "svc/kustomization.yaml": k([
        "patchesStrategicMerge:",
        "- |",
        "  apiVersion: v1",
        "  kind: ConfigMap",
        "  metadata: {name: x, annotations: {docs: 'https://example.com/a//b?ref=1'}}",
        "transformers:",
        "- |",
        "  apiVersion: builtin",
        "  kind: PatchStrategicMergeTransformer",
        "  metadata: {name: p}",
        "  paths: [p.yaml]",
      ]),
      "svc/p.yaml": cm,
    });
    const closure = await walkKustomization("svc", r.entries, r.readText);
    expect(closure?.remote).toEqual([]);
    expect(closure?.paths).toEqual(["svc/kustomization.yaml", "svc/p.yaml"]);
  });

  it("reads a plugin configuration file once for a build, however many kustomizations list it", async () => {
    const r = repo({
      "svc/kustomization.yaml": k(["resources: [../a, ../b]"]),
      "a/kustomization.yaml": k(["transformers: [../shared/tr.yaml]"]),
      "b/kustomization.yaml": k(["transformers: [../shared/tr.yaml]"]),
      "shared/tr.yaml": plugin("LabelTransformer", "labels: {a: b}"),
    });
    await kustomizeClosure("svc", r.entries, r.readText);
    expect(r.reads.filter((path) => path === "shared/tr.yaml")).toHaveLength(1);
  });

  it.each([
    [
      "a base above the root",
      "resources: [../../outside]",
      'resources[0]: "../../outside" is outside the repository',
    ],
    [
      "an absolute file",
      "configMapGenerator: [{name: c, files: [pw=/etc/passwd]}]",
      "configMapGenerator[0].files[0]",
    ],
    ["an absolute directory", "resources: [/tmp]", 'resources[0]: "/tmp" is outside the repository'],
  ])("refuses %s, naming the file and the entry", async (_name, line, named) => {
    const r = repo({ "svc/kustomization.yaml": k([line]) });
    const error = await rejection<DesiredSetError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.code).toBe("E_KUSTOMIZE_INVALID");
    expect(error.message).toContain(`svc/kustomization.yaml: ${named}`);
  });

  it("refuses a cycle of kustomizations, naming the chain", async () => {
    const r = repo({
      "a/kustomization.yaml": k(["resources: [../b]"]),
      "b/kustomization.yaml": k(["resources: [../a]"]),
    });
    const error = await rejection<DesiredSetError>(kustomizeClosure("a", r.entries, r.readText));
    expect(error.code).toBe("E_KUSTOMIZE_INVALID");
    expect(error.message).toBe(
      'b/kustomization.yaml: resources[0]: "../a" makes a cycle (a/kustomization.yaml → b/kustomization.yaml → a/kustomization.yaml)',
    );
  });

  it("refuses a kustomization that names its own directory", async () => {
    const r = repo({ "a/kustomization.yaml": k(["resources: [.]"]) });
    expect(
      (await rejection<DesiredSetError>(kustomizeClosure("a", r.entries, r.readText))).message,
    ).toContain("makes a cycle");
  });

  it("refuses bases nested deeper than the bound", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i <= MAX_KUSTOMIZATION_DEPTH + 1; i++)
      files[`l${i}/kustomization.yaml`] = k([`resources: [../l${i + 1}]`]);
    const r = repo(files);
    const error = await rejection<DesiredSetError>(kustomizeClosure("l0", r.entries, r.readText));
    expect(error.message).toContain(`deeper than ${MAX_KUSTOMIZATION_DEPTH} levels`);
    // The service's own kustomization, then MAX_KUSTOMIZATION_DEPTH levels of bases under it.
    expect(r.reads.length).toBe(MAX_KUSTOMIZATION_DEPTH + 1);
  });

  it("refuses a build that reads more kustomizations than the bound", async () => {
    const files: Record<string, string> = {
      "svc/kustomization.yaml": k([
        `resources: [${Array.from({ length: MAX_KUSTOMIZATIONS }, (_, i) => `../b${i}`).join(", ")}]`,
      ]),
    };
    for (let i = 0; i < MAX_KUSTOMIZATIONS; i++) files[`b${i}/kustomization.yaml`] = k(["resources: []"]);
    const r = repo(files);
    const error = await rejection<DesiredSetError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.message).toContain(`at most ${MAX_KUSTOMIZATIONS} kustomizations`);
    expect(r.reads.length).toBe(MAX_KUSTOMIZATIONS);
  });

  it("collects every file of each local chart and its values files, in the service and its bases, reading none", async () => {
    const chart = (dir: string) => ({
      [`${dir}/Chart.yaml`]: "apiVersion: v2\nname: c\nversion: 0.1.0\n",
      [`${dir}/values.yaml`]: "replicas: 1\n",
      [`${dir}/.helmignore`]: "*.md\n",
      [`${dir}/templates/_helpers.tpl`]: '{{- define "c.name" -}}c{{- end -}}\n',
      [`${dir}/templates/deploy.yaml`]: cm,
    });
    const r = repo({
      "svc/kustomization.yaml": k([
        "resources: [../base]",
        "helmCharts:",
        "- {name: web, valuesFile: values-prod.yaml, additionalValuesFiles: [extra.yaml]}",
      ]),
      ...chart("svc/charts/web"),
      "svc/charts/web/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
      "svc/charts/web/charts/sub/templates/s.yaml": cm,
      ...chart("svc/charts/other"),
      "svc/values-prod.yaml": "replicas: 3\n",
      "svc/extra.yaml": "extra: true\n",
      "svc/unused.yaml": cm,
      "base/kustomization.yaml": k(["helmGlobals: {chartHome: vendor}", "helmCharts: [{name: db}]"]),
      ...chart("base/vendor/db"),
    });
    const closure = await walkKustomization("svc", r.entries, r.readText);
    expect(closure?.paths).toEqual(
      [
        "base/kustomization.yaml",
        ...Object.keys(chart("base/vendor/db")),
        "svc/kustomization.yaml",
        ...Object.keys(chart("svc/charts/web")),
        "svc/charts/web/charts/sub/Chart.yaml",
        "svc/charts/web/charts/sub/templates/s.yaml",
        "svc/values-prod.yaml",
        "svc/extra.yaml",
      ].sort(),
    );
    expect(closure?.charts).toEqual([
      { file: "base/kustomization.yaml", field: "helmCharts[0]", name: "db", dir: "base/vendor/db" },
      { file: "svc/kustomization.yaml", field: "helmCharts[0]", name: "web", dir: "svc/charts/web" },
    ]);
    expect(closure?.remote).toEqual([]);
    // Only kustomizations are read as the walk goes: a chart's files are helm's to read.
    expect(r.reads.sort()).toEqual(["base/kustomization.yaml", "svc/kustomization.yaml"]);
  });

  it("lists a chart of a chart repository as a chart to render, needing no chart in the repository", async () => {
    const r = repo({
      "svc/kustomization.yaml": k(["helmCharts: [{name: redis, repo: oci://registry.example.com/charts}]"]),
    });
    const closure = await walkKustomization("svc", r.entries, r.readText);
    expect(closure?.charts).toEqual([
      {
        file: "svc/kustomization.yaml",
        field: "helmCharts[0]",
        name: "redis",
        repo: "oci://registry.example.com/charts",
      },
    ]);
    expect(closure?.remote.map((ref) => ref.field)).toEqual(["helmCharts[0].repo"]);
  });

  // Without the node budget this test hangs for tens of seconds: the walk would expand the bomb.
  it("refuses an alias bomb in a kustomization without expanding it", async () => {
    const bomb = aliasBomb().replace("data: {bomb: *i}", "resources: *i");
    const r = repo({ "svc/kustomization.yaml": bomb });
    const error = await rejection<DesiredSetError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.code).toBe("E_KUSTOMIZE_INVALID");
    expect(error.message).toContain("nodes once aliases are expanded");
  });

  it("refuses a directory with two kustomization files", async () => {
    const r = repo({ "svc/kustomization.yaml": "", "svc/kustomization.yml": "" });
    const error = await rejection<DesiredSetError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.message).toContain("more than one kustomization file");
  });

  it("reports invalid YAML in a base naming the base's file", async () => {
    const r = repo({
      "svc/kustomization.yaml": k(["resources: [../base]"]),
      "base/kustomization.yaml": "resources: [\n",
    });
    const error = await rejection<DesiredSetError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.message).toMatch(/^base\/kustomization\.yaml: invalid YAML/);
  });
});
