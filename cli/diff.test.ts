import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ObjectDiff, ServerDiff } from "../applyers/server-diff.js";
import type { KubeObject } from "../kube/objects.js";
import { cli } from "../test/cli/cli-harness.js";

// Real files in a temporary checkout, real rendering and kustomize; the cluster side is a ServerDiff answering from
// a table, as in controller/report/diff/run-diff.test.ts: what a real apiserver answers is proven on the test
// cluster in test/e2e/cli.e2e.test.ts.
let checkout: string;
beforeAll(async () => {
  checkout = await mkdtemp(join(tmpdir(), "cli-diff-"));
  await write({
    ".git/HEAD": "ref: refs/heads/main\n",
    "apps/web/deploy.yaml": [
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: { name: web }",
      "spec:",
      "  selector: { matchLabels: { app: web } }",
      "  template:",
      "    metadata: { labels: { app: web } }",
      "    spec: { containers: [{ name: web, image: nginx, command: [nginx] }] }",
    ].join("\n"),
    "apps/web/sub/settings.json": JSON.stringify({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "settings" },
      data: { greeting: "hello" },
    }),
    "apps/web/README.md": "not a manifest: kind: [",
    "notes/README.md": "kind: [",
    "apps/broken/bad.yaml": "kind: [",
    "apps/Web_App/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n",
    "base/kustomization.yaml": "resources: [cm.yaml]\n",
    "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: base }\ndata: { a: '1' }\n",
    "overlays/dev/kustomization.yaml": "resources: [../../base]\nnamePrefix: dev-\n",
    "config.yaml": [
      "github_configs: { gitops: { repo_owner: org, repo_name: gitops, token_env: NOT_SET_ANYWHERE } }",
      "services:",
      "  - { name: web, github: gitops, k8s_yaml_dir: apps/web, namespace: shop, stateless: false }",
      "  - { name: dev, github: gitops, k8s_yaml_dir: overlays/dev, namespace: dev }",
    ].join("\n"),
  });
});
afterAll(async () => {
  await rm(checkout, { recursive: true, force: true });
});

async function write(files: Record<string, string>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(checkout, path)), { recursive: true });
    await writeFile(join(checkout, path), content);
  }
}

/** tableDiff answers each object as `answer` says, and records what it was asked to compare. */
function tableDiff(answer: (object: KubeObject) => Omit<ObjectDiff, "apiVersion" | "kind" | "name">) {
  const seen: KubeObject[] = [];
  const serverDiff: ServerDiff = {
    async diff(objects) {
      seen.push(...objects);
      return objects.map((object) => ({
        apiVersion: object.apiVersion,
        kind: object.kind,
        name: object.metadata.name,
        ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
        ...answer(object),
      }));
    },
  };
  return { seen, serverDiff: () => serverDiff };
}
const unchanged = (object: KubeObject) => ({ action: "unchanged" as const, live: object, merged: object });
const diff = (args: string[], serverDiff: () => ServerDiff) =>
  cli(["diff", ...args], { deps: { serverDiff } });
const names = (objects: readonly KubeObject[]) =>
  objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`);

describe("diff --path", () => {
  it("renders the directory's manifests, every level down, as the config's service and exits 0 in sync", async () => {
    const { seen, serverDiff } = tableDiff(unchanged);
    const run = await diff(
      ["--path", join(checkout, "apps/web"), "--config", join(checkout, "config.yaml")],
      serverDiff,
    );
    expect([run.code, run.stdout]).toEqual([0, ""]);
    expect(names(seen)).toEqual(["ConfigMap/shop/settings", "Deployment/shop/web"]);
    expect(seen[1]?.metadata.labels?.["simple-gitops.io/service"]).toBe("web");
    expect(seen[1]?.metadata.annotations?.["simple-gitops.io/source-path"]).toBe("apps/web/deploy.yaml");
    expect(run.stderr).toBe(
      `web (${join(checkout, "apps/web")}): 0 configured, 0 created, 2 unchanged, 0 failed\n`,
    );
  });

  it("prints what would change and exits 1", async () => {
    const { serverDiff } = tableDiff((object) =>
      object.kind === "ConfigMap"
        ? { action: "configured", live: { ...object, data: { greeting: "hi" } }, merged: object }
        : unchanged(object),
    );
    const run = await diff(
      ["--path", join(checkout, "apps/web"), "--service", "web", "--config", join(checkout, "config.yaml")],
      serverDiff,
    );
    expect(run.code).toBe(1);
    expect(run.stdout.split("\n").filter((line) => /^[-+] /.test(line))).toEqual([
      "-  greeting: hi",
      "+  greeting: hello",
    ]);
    expect(run.stderr).toContain("1 configured, 0 created, 1 unchanged, 0 failed");
  });

  it("builds a kustomization whose base is outside the directory, within the checkout", async () => {
    const { seen, serverDiff } = tableDiff(unchanged);
    const run = await diff(
      ["--path", join(checkout, "overlays/dev"), "--config", join(checkout, "config.yaml")],
      serverDiff,
    );
    expect(run.code).toBe(0);
    expect(names(seen)).toEqual(["ConfigMap/dev/dev-base"]);
  });

  it("renders DIR as the service --service names, wherever its k8s_yaml_dir points", async () => {
    const { seen, serverDiff } = tableDiff(unchanged);
    const args = [
      "--path",
      join(checkout, "overlays/dev"),
      "--config",
      join(checkout, "config.yaml"),
      "--service",
      "web",
    ];
    const run = await diff(args, serverDiff);
    expect(run.code).toBe(0);
    expect(names(seen)).toEqual(["ConfigMap/shop/dev-base"]);
  });

  it("names the files of a directory outside a checkout below the service's k8s_yaml_dir, as a sync names them", async () => {
    const outside = await mkdtemp(join(tmpdir(), "cli-diff-outside-"));
    const cwd = process.cwd();
    try {
      await mkdir(join(outside, "sub/copy"), { recursive: true });
      await writeFile(
        join(outside, "sub/copy/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n",
      );
      const { seen, serverDiff } = tableDiff(unchanged);
      const args = [
        "--path",
        join(outside, "sub/copy"),
        "--config",
        join(checkout, "config.yaml"),
        "--service",
        "web",
      ];
      expect((await diff(args, serverDiff)).code).toBe(0);
      process.chdir(outside);
      expect((await diff(["--path", "./sub/copy/"], serverDiff)).code).toBe(0);
      expect(seen.map((o) => o.metadata.annotations?.["simple-gitops.io/source-path"])).toEqual([
        "apps/web/cm.yaml",
        "sub/copy/cm.yaml",
      ]);
    } finally {
      process.chdir(cwd);
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("without --config, renders as a service named after the directory with every default", async () => {
    const { seen, serverDiff } = tableDiff(unchanged);
    const run = await diff(["--path", join(checkout, "apps/web")], serverDiff);
    expect(run.code).toBe(0);
    expect(names(seen)).toEqual(["ConfigMap/default/settings", "Deployment/default/web"]);
    expect(seen.map((o) => o.metadata.labels?.["simple-gitops.io/service"])).toEqual(["web", "web"]);
    // stateless: auto without a release applies it as written.
    expect(JSON.stringify(seen[1]?.spec)).not.toContain("initContainers");
  });

  it.each([
    {
      name: "an object the server's dry run refused",
      answer: { action: "failed" as const, message: "no such kind" },
    },
  ])("exits 2 for $name", async ({ answer }) => {
    const { serverDiff } = tableDiff((object) => ({ ...answer, merged: object }));
    const run = await diff(["--path", join(checkout, "apps/web")], serverDiff);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("0 configured, 0 created, 0 unchanged, 2 failed");
  });

  it.each([
    {
      name: "a file that does not parse",
      args: ["--path", "apps/broken"],
      says: "# service broken: apps/broken/bad.yaml: ",
    },
    {
      name: "a directory that is not there",
      args: ["--path", "apps/gone"],
      says: "--path apps/gone: not a directory",
    },
    {
      name: "a directory without manifests",
      args: ["--path", "notes"],
      says: "--path notes holds no .yaml, .yml or .json file",
    },
    {
      name: "a service the config does not have",
      args: ["--path", "apps/web", "--config", "config.yaml", "--service", "api"],
      says: "--service api: config.yaml has no such service (known: web, dev)",
    },
    {
      name: "a config with several services and none for the directory",
      args: ["--path", "base", "--config", "config.yaml"],
      says: "config.yaml has 2 services and none has k8s_yaml_dir base: name one with --service",
    },
    {
      name: "a directory whose name is no service name",
      args: ["--path", "apps/Web_App"],
      says: 'the directory\'s name "Web_App" is not a service name; give one with --service',
    },
    { name: "no --path", args: [], says: "diff needs --path DIR" },
  ])("exits 2 for $name, comparing nothing", async ({ args, says }) => {
    const { seen, serverDiff } = tableDiff(unchanged);
    const cwd = process.cwd();
    process.chdir(checkout);
    try {
      const run = await diff(args, serverDiff);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(says);
      expect(seen).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });
});
