import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { manifest } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import type { KubeObject } from "../desired/render/types.js";
import type { Controller } from "../loop/controller.js";
import type { SyncResult } from "../record/result.js";

let loop: LoopWorld;
beforeEach(async () => {
  loop = await createLoopWorld();
});
afterEach(async () => {
  await loop.close();
});

const configMap = (name: string, data: Record<string, string>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: ${JSON.stringify(data)}\n`;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web-app }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx }] }
`;

/** liveDeployment is web-app as the apiserver would report it: rolled out, available or not. */
const liveDeployment = (available: boolean): KubeObject => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web-app", namespace: "default", generation: 1 },
  spec: { replicas: 1 },
  status: {
    observedGeneration: 1,
    replicas: 1,
    updatedReplicas: 1,
    availableReplicas: available ? 1 : 0,
    conditions: [
      available
        ? { type: "Available", status: "True", reason: "MinimumReplicasAvailable" }
        : {
            type: "Available",
            status: "False",
            reason: "MinimumReplicasUnavailable",
            message: "Deployment does not have minimum availability.",
          },
    ],
  },
});

/** settle runs a sync whose health check sleeps on the manual clock, moving time on until it is done. */
async function settle<T>(run: Promise<T>): Promise<T> {
  let done = false;
  const result = run.finally(() => {
    done = true;
  });
  while (!done) {
    await loop.time.advance(1_000);
    // Let I/O (the GitHub test server) run between steps of manual time.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return result;
}

const byService = (results: readonly SyncResult[], name: string) =>
  results.find((result) => result.service === name);

describe("one desired set per service", () => {
  it("keeps the keys of a ConfigMap fed by YAML and by a .json file when either one changes", async () => {
    await loop.repo.commit({
      "web/web-config.yaml": configMap("web-config", { "from-yaml": "1" }),
      "web/settings.json": '{"port": 1}',
      "db/config.yaml": manifest("db", 1),
    });
    const recorder = recordingApplyer();
    const controller = loop.controllerWith(recorder.applyer);
    const sentConfig = () =>
      recorder.applied
        .flat()
        .filter((object) => object.metadata.name === "web-config")
        .at(-1)?.data;

    await controller.runOnce();
    expect(sentConfig()).toEqual({ "from-yaml": "1", "settings.json": '{"port": 1}' });
    await loop.repo.commit({ "web/settings.json": '{"port": 2}' });
    await controller.runOnce();
    expect(sentConfig()).toEqual({ "from-yaml": "1", "settings.json": '{"port": 2}' });
    await loop.repo.commit({ "web/web-config.yaml": configMap("web-config", { "from-yaml": "2" }) });
    await controller.runOnce();
    expect(sentConfig()).toEqual({ "from-yaml": "2", "settings.json": '{"port": 2}' });
  });

  it("writes the commit being synced on every object it sends, and the next commit on the next apply", async () => {
    const first = await loop.repo.commit({
      "web/a.yaml": configMap("a", { v: "1" }),
      "web/settings.json": "{}",
    });
    const recorder = recordingApplyer();
    const controller = loop.controllerWith(recorder.applyer);
    const commitsSent = () =>
      recorder.applied.at(-1)?.map((object) => object.metadata.annotations?.["simple-gitops.io/commit"]);

    await controller.runOnce();
    expect(commitsSent()).toEqual([first, first]);
    const second = await loop.repo.commit({ "web/a.yaml": configMap("a", { v: "2" }) });
    await controller.runOnce();
    expect(commitsSent()).toEqual([second, second]);
  });

  it.each([
    {
      name: "invalid YAML",
      path: "web/broken.yaml",
      content: "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: [unclosed\n",
      code: "E_MANIFEST_PARSE",
      reason: "invalid YAML",
    },
    {
      name: "invalid JSON",
      path: "web/broken.json",
      content: '{"apiVersion": "v1", "kind": ',
      code: "E_MANIFEST_PARSE",
      reason: "invalid JSON",
    },
    {
      name: "an object without a name",
      path: "web/nameless.yaml",
      content: "apiVersion: v1\nkind: ConfigMap\ndata: { a: b }\n",
      code: "E_MANIFEST_INVALID",
      reason: "ConfigMap has no metadata.name",
    },
    {
      name: "a kustomization kustomize cannot build",
      path: "web/kustomization.yaml",
      content: "resources: [deploy.yaml, missing.yaml]\n",
      code: "E_KUSTOMIZE_BUILD",
      reason: "'web/missing.yaml'",
    },
    {
      name: "a kustomization with a remote base",
      path: "web/kustomization.yaml",
      content: "resources: [deploy.yaml, 'https://example.com/base.yaml']\n",
      code: "E_KUSTOMIZE_REMOTE",
      reason: "resources[1]: https://example.com/base.yaml",
    },
    {
      name: "a binary file",
      path: "web/logo.yaml",
      content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x1a]),
      code: "E_SOURCE_FILE_UNUSABLE",
      reason: "not UTF-8 text",
    },
  ])("fails the whole service on $name, naming the file; other services land", async (bad) => {
    await loop.repo.commit({
      "web/deploy.yaml": manifest("web", 1),
      [bad.path]: bad.content,
      "db/config.yaml": manifest("db", 1),
    });
    const recorder = recordingApplyer();
    const controller = loop.controllerWith(recorder.applyer);
    const results = await controller.runOnce();
    const web = byService(results, "web");
    expect(web?.status).toBe("failed");
    expect(web?.error?.code).toBe(bad.code);
    expect(web?.error?.message).toContain(bad.path);
    expect(web?.error?.message).toContain(bad.reason);
    // Nothing of web was sent, and it is not recorded; db landed.
    expect(recorder.names()).toEqual([["db-1"]]);
    expect(controller.getState().services.web?.commit).toBeUndefined();
    expect(byService(results, "db")?.status).toBe("applied");

    // Fixed in git: the next poll after the backoff lands the whole set.
    const fixed = await loop.repo.commit({ [bad.path]: null });
    await loop.time.advance(30_001);
    controller.requestSync({ trigger: "poll" });
    await controller.idle();
    expect(recorder.names().at(-1)).toEqual(["web-1"]);
    expect(controller.getState().services.web).toMatchObject({ commit: fixed, failures: 0 });
  });

  it("never records an unhealthy workload, not on later polls either, and records it once healthy", async () => {
    const head = await loop.repo.commit({
      "web/deploy.yaml": deployment,
      "db/config.yaml": manifest("db", 1),
    });
    let available = false;
    const recorder = recordingApplyer();
    const controller = loop.controllerWith(recorder.applyer, loop.configFor(), {
      healthTimeoutMs: 5_000,
      readObject: async (ref) => (ref.kind === "Deployment" ? liveDeployment(available) : undefined),
    });
    const poll = async (): Promise<Controller> => {
      controller.requestSync({ trigger: "poll" });
      await settle(controller.idle());
      return controller;
    };

    const first = await settle(controller.runOnce());
    const web = byService(first, "web");
    expect(web?.status).toBe("failed");
    expect(web?.error?.code).toBe("E_UNHEALTHY");
    expect(web?.error?.message).toContain("web/deploy.yaml: Deployment default/web-app");
    expect(web?.error?.message).toContain("Available=False MinimumReplicasUnavailable");
    expect(controller.getState().services.web?.commit).toBeUndefined();
    // db landed at the head, web did not: the repository has no commit at which every service landed.
    expect(controller.getState().services.db?.commit).toBe(head);
    expect(controller.getState().repos.main).toBeUndefined();

    // Later polls at the same head check health again, and it still fails.
    await loop.time.advance(30_001);
    await poll();
    expect(controller.getState().services.web).toMatchObject({
      failures: 2,
      lastError: { code: "E_UNHEALTHY" },
    });
    expect(controller.getState().services.web?.commit).toBeUndefined();
    const objects = controller.getState().services.web?.objects ?? [];
    expect(objects.find((object) => object.kind === "Deployment")?.health).toContain(
      "0 of 1 updated replicas",
    );

    // It becomes available without a new commit: the next poll records the head.
    available = true;
    await loop.time.advance(60_001);
    await poll();
    expect(await loop.repo.head()).toBe(head);
    expect(controller.getState().services.web).toMatchObject({ commit: head, failures: 0 });
    // Everything was already applied on this retry, yet this is when the service landed.
    const landedAt = Date.parse(controller.getState().services.web?.lastDeployTime ?? "");
    expect(landedAt).toBeGreaterThan(Date.parse(web?.startedAt ?? ""));
    expect(controller.getState().repos.main?.commit).toBe(head);
  });

  it("says which objects removed from git were left in place while prune is off", async () => {
    await loop.repo.commit({
      "web/deploy.yaml": manifest("web", 1),
      "web/extra.yaml": manifest("web", 2),
      "db/config.yaml": manifest("db", 1),
    });
    const recorder = recordingApplyer();
    const controller = loop.controllerWith(recorder.applyer);
    await controller.runOnce();
    await loop.repo.commit({ "web/extra.yaml": null });
    const web = byService(await controller.runOnce(), "web");
    expect(web?.status).toBe("applied");
    expect(web?.files.deleted).toEqual(["web/extra.yaml"]);
    expect(web?.orphaned.map((ref) => ref.name)).toEqual(["web-2"]);
    expect(recorder.deleted).toEqual([]);
  });

  it("gives an object to one service: a second service declaring it fails, naming both, until the first lets go", async () => {
    const shared = configMap("shared", { owner: "web" });
    await loop.repo.commit({ "web/shared.yaml": shared, "db/config.yaml": manifest("db", 1) });
    const recorder = recordingApplyer();
    const controller = loop.controllerWith(recorder.applyer, loop.configFor("prune: true"), {
      readObject: recorder.readObject,
    });
    await controller.runOnce();
    // db now declares web's object too: db fails, naming web and both files, and sends nothing.
    await loop.repo.commit({ "db/shared.yaml": configMap("shared", { owner: "db" }) });
    const db = byService(await controller.runOnce(), "db");
    expect(db?.status).toBe("failed");
    expect(db?.error?.code).toBe("E_OWNED_ELSEWHERE");
    expect(db?.error?.message).toContain(
      "db/shared.yaml: ConfigMap default/shared belongs to service web (web/shared.yaml)",
    );
    const sentByDb = recorder.applied
      .flat()
      .filter((object) => object.data && "owner" in (object.data as object));
    expect(sentByDb.map((object) => (object.data as { owner: string }).owner)).toEqual(["web"]);

    // web lets go of it (prune deletes web's copy); db's retry then takes it.
    await loop.repo.commit({ "web/shared.yaml": null, "web/deploy.yaml": manifest("web", 1) });
    await loop.time.advance(30_001);
    await controller.runOnce();
    expect(recorder.deleted.flat().map((ref) => ref.name)).toEqual(["shared"]);
    expect(controller.getState().services.db).toMatchObject({ commit: await loop.repo.head(), failures: 0 });
    expect(controller.getState().services.db?.inventory.map((ref) => ref.name)).toContain("shared");
  });
});
