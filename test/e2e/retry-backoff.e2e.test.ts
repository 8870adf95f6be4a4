import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../controller/record/state/state.js";
import type { ServiceView } from "../../controller/report/server/views.js";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace, waitFor } from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";

// A commit whose Deployment never becomes available is retried with a growing backoff and left in place (hold), but
// the branch is still polled every interval: a fix pushed once the backoff has grown lands at the next poll, through
// a real controller process, the GitHub test server and the test cluster.

const TOKEN = "t0ken";
const POLL_SECONDS = 2;
const POLL_MS = POLL_SECONDS * 1000;
// scheduler.ts spaces polls by the interval ±10%.
const POLL_JITTER = 1.1;

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "backoff", TOKEN);
  ns = await createTestNamespace("backoff");
});
afterAll(async () => {
  await world?.close();
  await ns?.cleanup();
});

const deployment = (name: string, nodeSelector: string) => `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      ${nodeSelector ? `nodeSelector: { simple-gitops-test/pool: ${nodeSelector} }` : ""}
      containers: [{ name: web, image: nginx:1.27 }]
`;
const settings = (value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: api-settings }\ndata: { value: "${value}" }\n`;

const serviceView = async (controller: ControllerProcess, name: string) =>
  (await (await fetch(`${controller.url}/v1/gitops/services/${name}`)).json()) as ServiceView;
const events = async (controller: ControllerProcess) =>
  ((await (await fetch(`${controller.url}/v1/gitops/events?limit=200`)).json()) as { events: AuditEvent[] })
    .events;

describe("a failing commit backs off, a fix pushed meanwhile does not wait for it (on failure: hold)", () => {
  it("applies the fix within two poll intervals plus its apply, after the failing commit backed off", async () => {
    const api = `api-${randomBytes(3).toString("hex")}`;
    await repo.commit({ "api/settings.yaml": settings("1") });
    const controller = await startController(
      `
github_configs:
  gitops: { repo_owner: org, repo_name: backoff, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: ${api}, github: gitops, k8s_yaml_dir: api, namespace: ${ns.name}, stateless: false }
poll_interval: ${POLL_SECONDS}
listen: "127.0.0.1:0"
applyers: [kubectl]
health_timeout: 3s
`,
      { KUBECONFIG: kubeconfigPath(), GH_TOKEN: TOKEN, PATH: process.env.PATH ?? "" },
    );
    try {
      await waitFor(async () => (await serviceView(controller, api)).state === "deployed" || undefined, {
        timeoutMs: 60_000,
        what: "the first sync",
      });
      // No node carries this pool: the Deployment never becomes available.
      const bad = await repo.commit({
        "api/deploy.yaml": deployment(api, `nowhere-${randomBytes(3).toString("hex")}`),
        "api/settings.yaml": settings("2"),
      });
      // Wait until the backoff has grown past a few polls, so that a fix held back by it would miss the bound below.
      const failed = await waitFor(
        async () => {
          const view = await serviceView(controller, api);
          const backoffLeft = Date.parse(view.retry_after) - Date.now();
          return view.last_error?.commit === bad && backoffLeft >= 5 * POLL_MS ? view : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 200, what: `${api} to back off for five polls` },
      );
      expect([failed.state, failed.last_error?.code]).toEqual(["failed", "E_UNHEALTHY"]);
      // Held, not undone: the failed commit's Deployment is what runs.
      const live = await kubectl([
        "-n",
        ns.name,
        "get",
        "deployment",
        api,
        "-o",
        "jsonpath={.spec.template.spec.nodeSelector}",
      ]);
      expect(live).toContain("nowhere-");

      const fix = await repo.commit({
        "api/deploy.yaml": deployment(api, ""),
        "api/settings.yaml": settings("3"),
      });
      const pushedAt = Date.now();
      const landed = await waitFor(
        async () => {
          const view = await serviceView(controller, api);
          return view.state === "deployed" && view.last_commit_id === fix ? view : undefined;
        },
        { timeoutMs: 120_000, intervalMs: 200, what: `${api} to land the fix` },
      );
      expect(landed.last_error).toBeNull();

      const all = await events(controller);
      const fixApply = all.find((event) => event.commit === fix && event.kind === "apply");
      expect(fixApply?.result).toBe("succeeded");
      // The sync that applied the fix started within two poll intervals of the push; the rest is its own apply.
      expect(Date.parse(fixApply?.time ?? "") - pushedAt).toBeLessThanOrEqual(2 * POLL_MS * POLL_JITTER);

      // Backoff still works: the failing commit was tried no more often than a backoff doubling from one interval
      // allows in the time it failed, and each try was logged as a retry of it.
      const badApplies = all.filter((event) => event.commit === bad && event.kind === "apply");
      const failingSpan = pushedAt - Math.min(...badApplies.map((event) => Date.parse(event.time)));
      expect(badApplies.every((event) => event.result === "failed")).toBe(true);
      expect(badApplies.length - 1).toBeLessThanOrEqual(Math.floor(Math.log2(failingSpan / POLL_MS + 1)));
      const messages = controller.logs().map((line) => line.msg);
      expect(messages.filter((msg) => msg === `retry of commit ${bad} after backoff`)).toHaveLength(
        badApplies.length - 1,
      );
      expect(messages).toContain(`new head ${fix}, replacing failed commit ${bad}`);
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });
});
