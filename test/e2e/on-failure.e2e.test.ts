import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld, requestKind } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace, waitFor } from "./cluster.js";
import { startController } from "./controller-process.js";
import { auditEvents, configMap, deployment, landedAt, liveSet, serviceView } from "./service-status.js";

// on_failure: rollback through a real controller process, the GitHub test server and the test cluster: a commit
// whose Deployment never becomes available, and which adds an object, is undone once health_timeout runs out, and
// is not tried again while it is the head. (on_failure: hold, the default, is retry-backoff.e2e.test.ts.)

const TOKEN = "t0ken";
const CLUSTER = "e2e";
const KINDS = ["deployments", "configmaps"];
// Enough polls that a retry loop would show: each retry of the failed commit is one health_timeout away.
const QUIET_POLLS = 10;

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "rollback", TOKEN);
  ns = await createTestNamespace("e2e-on-failure");
});
afterAll(async () => {
  await world?.close();
  await ns?.cleanup();
});

describe("on_failure: rollback on a real cluster", () => {
  it("puts back the last landed set, holds the failed commit through ten polls without applying, then lands the next one", async () => {
    const web = `web-${randomBytes(3).toString("hex")}`;
    const c1 = await repo.commit({
      "web/deploy.yaml": deployment(web),
      "web/settings.yaml": configMap("settings", "1"),
    });
    const controller = await startController(
      `
github_configs:
  gitops: { repo_owner: org, repo_name: rollback, token_env: GH_TOKEN, api_url: "${world.server.url}", commit_status: true }
services:
  - { name: ${web}, github: gitops, k8s_yaml_dir: web, namespace: ${ns.name}, stateless: false, on_failure: rollback }
cluster_name: ${CLUSTER}
poll_interval: 1s
health_timeout: 5s
listen: "127.0.0.1:0"
applyers: [kubectl]
`,
      // At debug, every poll logs its line: one that found nothing new (`poll: unchanged`) is a debug line.
      { KUBECONFIG: kubeconfigPath(), GH_TOKEN: TOKEN, PATH: process.env.PATH ?? "", LOG_LEVEL: "debug" },
    );
    try {
      await landedAt(controller, web, c1);
      const landedSet = await liveSet(ns.name, web, KINDS);

      // No node carries this pool: the changed Deployment never becomes available.
      const c2 = await repo.commit({
        "web/deploy.yaml": deployment(web, `nowhere-${randomBytes(3).toString("hex")}`),
        "web/settings.yaml": configMap("settings", "2"),
        "web/extra.yaml": configMap("extra", "1"),
      });
      const rolledBack = await waitFor(
        async () => {
          const view = await serviceView(controller, web);
          return view.state === "rolled_back" && view.rolled_back?.failed_commit === c2 ? view : undefined;
        },
        {
          timeoutMs: 90_000,
          what: `${web} to roll back ${c2}`,
          describe: async () => JSON.stringify(await serviceView(controller, web)),
        },
      );
      expect(rolledBack.rolled_back).toMatchObject({
        restored_commit: c1,
        from_commit: c2,
        by: "simple-gitops",
      });
      expect(rolledBack.rolled_back?.reason).toMatch(/^E_UNHEALTHY: .*Deployment/);
      expect([rolledBack.last_commit_id, rolledBack.last_error]).toEqual([c1, null]);

      // The cluster is c1's set again: the Deployment changed back in place, the added ConfigMap gone.
      expect(await liveSet(ns.name, web, KINDS)).toEqual(landedSet);
      // ...and it got there by undoing c2, which had been applied: its apply failed, then the rollback.
      const trail = (await auditEvents(controller)).filter((event) => event.service === web);
      const failedAt = trail.findIndex((event) => event.kind === "apply" && event.commit === c2);
      expect(trail[failedAt]?.result).toBe("failed");
      expect(trail[failedAt]?.objects).toContainEqual(
        expect.objectContaining({ name: "extra", action: "created" }),
      );
      const rollbacks = trail.filter((event) => event.kind === "rollback");
      expect(rollbacks).toHaveLength(1);
      expect(rollbacks[0]).toMatchObject({ result: "succeeded", actor: "simple-gitops" });
      expect(rollbacks[0]?.reason).toContain(`rolled back from ${c2} to ${c1}`);
      expect(trail.findIndex((event) => event.kind === "rollback")).toBeGreaterThan(failedAt);

      // The failed commit's status ends as a failure saying what the service went back to (a first failure, the
      // failed sync's own, may come before it).
      const context = `simple-gitops/${CLUSTER}/${web}`;
      const lastOnFailed = () =>
        world.server.statuses.statuses.findLast((status) => status.context === context && status.sha === c2);
      await waitFor(async () => lastOnFailed()?.description?.startsWith("Rolled back"), {
        timeoutMs: 30_000,
        what: `the rollback's status on ${c2}`,
        describe: () => JSON.stringify(world.server.statuses.statuses),
      });
      expect(lastOnFailed()).toMatchObject({ state: "failure" });
      expect(lastOnFailed()?.description).toContain(`Rolled back to ${c1.slice(0, 12)}: E_UNHEALTHY`);

      // Ten polls with the failed commit still the head: one uncharged 304 each, and nothing applied.
      const requestsFrom = world.server.requests.length;
      const logsFrom = controller.logs().length;
      const eventsFrom = (await auditEvents(controller)).length;
      const generation = await kubectl([
        "-n",
        ns.name,
        "get",
        "deployment",
        web,
        "-o",
        "jsonpath={.metadata.generation}",
      ]);
      const polls = () =>
        controller
          .logs()
          .slice(logsFrom)
          .filter((line) => line.msg.startsWith("poll: "));
      // A poll that did anything ends the wait early: the assertions below then say what it did.
      await waitFor(
        async () => polls().length >= QUIET_POLLS || polls().some((line) => line.msg !== "poll: unchanged"),
        { timeoutMs: 60_000, what: `${QUIET_POLLS} polls` },
      );
      const requests = world.server.requests.slice(requestsFrom);
      const seen = polls();
      expect(seen.map((line) => line.msg)).toEqual(seen.map(() => "poll: unchanged"));
      expect(requests.map((r) => `${r.method} ${requestKind(r.path)} ${r.status} ${r.charged}`)).toEqual(
        requests.map(() => "GET branches 304 false"),
      );
      // A poll's request comes before its log line: one more may be under way.
      expect(requests.length).toBeLessThanOrEqual(seen.length + 1);
      expect((await auditEvents(controller)).slice(eventsFrom)).toEqual([]);
      expect(
        controller
          .logs()
          .slice(logsFrom)
          .filter((line) => line.service === web && line.msg.startsWith("sync ")),
      ).toEqual([]);
      expect(
        await kubectl(["-n", ns.name, "get", "deployment", web, "-o", "jsonpath={.metadata.generation}"]),
      ).toBe(generation);

      // The next good commit (the Deployment fixed, the added ConfigMap kept) lands at once, no longer rolled back.
      const c3 = await repo.commit({
        "web/deploy.yaml": deployment(web),
        "web/settings.yaml": configMap("settings", "3"),
      });
      const landed = await landedAt(controller, web, c3);
      expect([landed.rolled_back, landed.last_error]).toEqual([null, null]);
      const after = await liveSet(ns.name, web, KINDS);
      expect(Object.keys(after).sort()).toEqual([...Object.keys(landedSet), "ConfigMap/extra"].sort());
      expect(after["ConfigMap/settings"]).toMatchObject({ commit: c3, content: { value: "3" } });
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });
});
