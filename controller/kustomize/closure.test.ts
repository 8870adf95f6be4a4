import { describe, expect, it } from "vitest";
import { aliasBomb } from "../render/hostile-yaml.js";
import {
  kustomizeClosure,
  MAX_KUSTOMIZATION_DEPTH,
  MAX_KUSTOMIZATIONS,
  walkKustomization,
} from "./closure.js";
import type { KustomizeError } from "./errors.js";
import { rejection } from "./test-support.js";

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
      "svc/tr.yaml": "{}",
      "svc/gen.yaml": "{}",
      "svc/val.yaml": "{}",
      "comp/kustomization.yaml": k(["kind: Component", "patches: [{path: p.yaml}]"]),
      "comp/p.yaml": cm,
      "plugins/kustomization.yaml": k(["resources: [t.yaml]"]),
      "plugins/t.yaml": "{}",
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
        "svc/gen.yaml",
        "svc/json.yaml",
        "svc/kustomization.yml",
        "svc/psm.yaml",
        "svc/r.yaml",
        "svc/repl.yaml",
        "svc/schema.json",
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
    const error = await rejection<KustomizeError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.code).toBe("E_KUSTOMIZE_INVALID");
    expect(error.message).toContain(`svc/kustomization.yaml: ${named}`);
  });

  it("refuses a cycle of kustomizations, naming the chain", async () => {
    const r = repo({
      "a/kustomization.yaml": k(["resources: [../b]"]),
      "b/kustomization.yaml": k(["resources: [../a]"]),
    });
    const error = await rejection<KustomizeError>(kustomizeClosure("a", r.entries, r.readText));
    expect(error.code).toBe("E_KUSTOMIZE_INVALID");
    expect(error.message).toBe(
      'b/kustomization.yaml: resources[0]: "../a" makes a cycle (a/kustomization.yaml → b/kustomization.yaml → a/kustomization.yaml)',
    );
  });

  it("refuses a kustomization that names its own directory", async () => {
    const r = repo({ "a/kustomization.yaml": k(["resources: [.]"]) });
    expect((await rejection<KustomizeError>(kustomizeClosure("a", r.entries, r.readText))).message).toContain(
      "makes a cycle",
    );
  });

  it("refuses bases nested deeper than the bound", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i <= MAX_KUSTOMIZATION_DEPTH + 1; i++)
      files[`l${i}/kustomization.yaml`] = k([`resources: [../l${i + 1}]`]);
    const r = repo(files);
    const error = await rejection<KustomizeError>(kustomizeClosure("l0", r.entries, r.readText));
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
    const error = await rejection<KustomizeError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.message).toContain(`at most ${MAX_KUSTOMIZATIONS} kustomizations`);
    expect(r.reads.length).toBe(MAX_KUSTOMIZATIONS);
  });

  it("refuses helm charts", async () => {
    const r = repo({
      "svc/kustomization.yaml": k(["helmCharts: [{name: redis, repo: https://charts.example.com}]"]),
    });
    const error = await rejection<KustomizeError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.code).toBe("E_KUSTOMIZE_INVALID");
    expect(error.message).toMatch(/^svc\/kustomization\.yaml: helmCharts: helm charts are not supported/);
  });

  // Without the node budget this test hangs for tens of seconds: the walk would expand the bomb.
  it("refuses an alias bomb in a kustomization without expanding it", async () => {
    const bomb = aliasBomb().replace("data: {bomb: *i}", "resources: *i");
    const r = repo({ "svc/kustomization.yaml": bomb });
    const error = await rejection<KustomizeError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.code).toBe("E_KUSTOMIZE_INVALID");
    expect(error.message).toContain("nodes once aliases are expanded");
  });

  it("refuses a directory with two kustomization files", async () => {
    const r = repo({ "svc/kustomization.yaml": "", "svc/kustomization.yml": "" });
    const error = await rejection<KustomizeError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.message).toContain("more than one kustomization file");
  });

  it("reports invalid YAML in a base naming the base's file", async () => {
    const r = repo({
      "svc/kustomization.yaml": k(["resources: [../base]"]),
      "base/kustomization.yaml": "resources: [\n",
    });
    const error = await rejection<KustomizeError>(kustomizeClosure("svc", r.entries, r.readText));
    expect(error.message).toMatch(/^base\/kustomization\.yaml: invalid YAML/);
  });
});
