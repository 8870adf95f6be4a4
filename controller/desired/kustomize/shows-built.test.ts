import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { execa } from "execa";
import yaml from "js-yaml";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDryRunApplyer } from "../../../applyers/dry-run.js";
import type { ServerDiff } from "../../../applyers/server-diff.js";
import type { KubeObject } from "../../../kube/objects.js";
import { webDeployment } from "../../../test/kustomize-support.js";
import { createLoopWorld, type LoopWorld } from "../../../test/loop-harness.js";
import { runDiff } from "../../report/diff/run-diff.js";
import { createGitHubSource } from "../../source/github.js";

// `--dry-run` (the controller with the dry-run applyer) and `--diff` (runDiff) both go through renderDesiredSet, so
// both must show kustomize's build of a kustomization, not its files: checked against `kubectl kustomize` run by
// the test on the repository's own work tree.
let loop: LoopWorld;
beforeEach(async () => {
  loop = await createLoopWorld();
  await loop.repo.commit({
    "web/kustomization.yaml": [
      "resources: [deploy.yaml]",
      "namePrefix: dev-",
      "patches: [{path: replicas.yaml}]",
      "configMapGenerator: [{name: settings, literals: [color=blue]}]",
    ].join("\n"),
    "web/deploy.yaml": webDeployment(),
    "web/replicas.yaml":
      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 3}\n",
    "db/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: db}\n",
  });
});
afterEach(async () => {
  await loop.close();
});

/** built is what `kubectl kustomize` builds from the repository's work tree, as `Kind/name=replicas` lines. */
async function built(dir: string): Promise<string[]> {
  const { stdout } = await execa("kubectl", ["kustomize", `${loop.repo.dir}/${dir}`]);
  return summary(yaml.loadAll(stdout) as KubeObject[]);
}

const summary = (objects: readonly KubeObject[]) =>
  objects
    .map(
      (o) => `${o.kind}/${o.metadata.name}=${(o.spec as { replicas?: number } | undefined)?.replicas ?? "-"}`,
    )
    .sort();

describe("a kustomization under --dry-run and --diff", () => {
  it("--dry-run prints kustomize's build", async () => {
    let printed = "";
    const controller = loop.controllerWith(
      createDryRunApplyer((text) => {
        printed += text;
      }),
      loop.configFor(),
      { dryRun: true },
    );
    const results = await controller.runOnce();
    expect(results.map((r) => [r.service, r.status])).toEqual([
      ["web", "applied"],
      ["db", "applied"],
    ]);
    const objects = (yaml.loadAll(printed) as KubeObject[]).filter((o) => o.metadata.name !== "db");
    const expected = await built("web");
    expect(summary(objects)).toEqual(expected);
    expect(expected).toContain("Deployment/dev-web=3");
    expect(new Set(objects.map((o) => o.metadata.annotations?.["simple-gitops.io/source-path"]))).toEqual(
      new Set(["web/kustomization.yaml"]),
    );
  });

  it("--diff compares kustomize's build with the cluster", async () => {
    const seen: KubeObject[] = [];
    const serverDiff: ServerDiff = {
      async diff(objects) {
        seen.push(...objects);
        return objects.map((o) => ({
          apiVersion: o.apiVersion,
          kind: o.kind,
          name: o.metadata.name,
          action: "unchanged" as const,
          live: o,
          merged: o,
        }));
      },
    };
    let stderr = "";
    const code = await runDiff(["web"], {
      config: loop.configFor(),
      source: createGitHubSource({ log: pino({ enabled: false }) }),
      serverDiff,
      stdout: () => undefined,
      stderr: (text) => {
        stderr += text;
      },
      log: pino({ level: "silent" }),
    });
    expect(stderr).toMatch(/web \(.*\): 0 configured, 0 created, 2 unchanged, 0 failed/);
    expect(code).toBe(0);
    expect(summary(seen)).toEqual(await built("web"));
  });

  // Issue 29: a builtin PatchTransformer pointing at 127.0.0.1 was fetched on every sync, --dry-run included.
  it.each([
    [
      "in a plugin configuration file",
      (url: string) => ({
        "web/kustomization.yaml": "resources: [deploy.yaml]\ntransformers: [leak.yaml]\n",
        "web/leak.yaml": `apiVersion: builtin\nkind: PatchTransformer\nmetadata: {name: leak}\npath: ${url}\n`,
      }),
    ],
    [
      "inline",
      (url: string) => ({
        "web/kustomization.yaml": [
          "resources: [deploy.yaml]",
          "transformers:",
          "- |",
          "  apiVersion: builtin",
          "  kind: PatchTransformer",
          "  metadata: {name: leak}",
          `  path: ${url}`,
        ].join("\n"),
      }),
    ],
  ])("--dry-run refuses a PatchTransformer loading from 127.0.0.1 %s, and opens no socket", async (_name, tree) => {
    let connections = 0;
    const server = createServer((_request, response) => response.end("kind: ConfigMap\n"));
    server.on("connection", () => {
      connections++;
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/patch`;
      await loop.repo.commit(tree(url));
      let printed = "";
      const controller = loop.controllerWith(
        createDryRunApplyer((text) => {
          printed += text;
        }),
        loop.configFor(),
        { dryRun: true },
      );
      const [web] = await controller.runOnce();
      expect(connections).toBe(0);
      expect([web?.service, web?.status, web?.files.failed.map((f) => f.code)]).toEqual([
        "web",
        "failed",
        ["E_KUSTOMIZE_REMOTE"],
      ]);
      expect(web?.files.failed[0]?.error).toContain(url);
      expect(printed).not.toContain("name: web");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
