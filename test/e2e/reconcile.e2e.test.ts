import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../controller/record/state/state.js";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import {
  createTestNamespace,
  kubeconfigPath,
  kubectl,
  kubectlJson,
  type TestNamespace,
  waitFor,
} from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";

const app = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 1
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: nginx:1.27 }] }
---
apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ port: 80 }]
`;

interface DriftView {
  checked_at: string;
  mode: string;
  action: string;
  objects: { kind: string; name: string; action: string }[];
}

let world: GitHubWorld;
let repo: GitRepo;
let correct: TestNamespace;
let report: TestNamespace;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "reconcile", "t0ken");
  correct = await createTestNamespace("drift-correct");
  report = await createTestNamespace("drift-report");
  await repo.commit({ "app/app.yaml": app });
});
afterAll(async () => {
  await world.close();
  await correct.cleanup();
  await report.cleanup();
});

// Polls are an hour apart: everything after the first sync is done by the 2 s reconcile.
const config = (namespace: string, drift: string) => `
github_configs:
  gitops: { repo_owner: org, repo_name: reconcile, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: web, github: gitops, k8s_yaml_dir: app, namespace: ${namespace}, stateless: false, drift: ${drift} }
poll_interval: 1h
reconcile_interval: 2s
listen: "127.0.0.1:0"
applyers: [kubectl]
health_timeout: 60s
`;
const env = { KUBECONFIG: kubeconfigPath(), GH_TOKEN: "t0ken", PATH: process.env.PATH ?? "" };

const replicas = async (namespace: string) =>
  (await kubectlJson<{ spec: { replicas: number } }>(["-n", namespace, "get", "deployment", "web"])).spec
    .replicas;
const serviceExists = async (namespace: string) =>
  (await kubectl(["-n", namespace, "get", "service", "web", "--ignore-not-found", "-o", "name"])).trim() !==
  "";
const driftOf = async (controller: ControllerProcess) =>
  ((await (await fetch(`${controller.url}/v1/gitops/services/web`)).json()) as { drift: DriftView | null })
    .drift;
const landed = async (controller: ControllerProcess) =>
  ((await (await fetch(`${controller.url}/v1/gitops/services/web`)).json()) as { state: string }).state ===
  "deployed";

describe("continuous reconciliation on a real cluster", () => {
  it("scales back a scaled Deployment and re-creates a deleted Service within one reconcile_interval", async () => {
    const controller = await startController(config(correct.name, "correct"), env);
    try {
      await waitFor(() => landed(controller), { timeoutMs: 90_000, what: "the first sync" });
      await kubectl(["-n", correct.name, "scale", "deployment", "web", "--replicas=3"]);
      await kubectl(["-n", correct.name, "delete", "service", "web", "--wait=true"]);
      await waitFor(async () => (await replicas(correct.name)) === 1 && (await serviceExists(correct.name)), {
        timeoutMs: 60_000,
        what: "the reconcile to put the Deployment and the Service back",
      });
      // Both corrections are in the audit trail, whether one reconcile or two made them.
      const driftActions = async () =>
        (
          (await (await fetch(`${controller.url}/v1/gitops/events?limit=200`)).json()) as {
            events: AuditEvent[];
          }
        ).events
          .filter((event) => event.kind === "drift")
          // One reconcile that corrects both objects is one event listing both.
          .flatMap((event) => event.objects.map((object) => `${object.kind}/${object.action}`));
      await waitFor(
        async () => {
          const actions = await driftActions();
          return actions.includes("Deployment/corrected") && actions.includes("Service/re-created");
        },
        {
          timeoutMs: 60_000,
          what: "drift events for both objects",
          describe: async () =>
            `events: ${(await driftActions()).join(", ")}; sync lines: ${JSON.stringify(
              controller
                .logs()
                .filter((line) => line.msg.startsWith("sync") || line.msg.startsWith("object")),
            ).slice(-3000)}`,
        },
      );
      // The status API shows a result once it is in the state; metrics hear it after the save, a moment later.
      const corrections = async () =>
        Number(
          /^simple_gitops_drift_corrections_total\{service="web"\} (\d+)/m.exec(
            await (await fetch(`${controller.url}/metrics`)).text(),
          )?.[1] ?? 0,
        );
      await waitFor(async () => (await corrections()) >= 2, {
        timeoutMs: 10_000,
        what: "the drift corrections in /metrics",
        describe: async () =>
          `simple_gitops_drift_corrections_total{service="web"} is ${await corrections()}`,
      });
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });

  it("only reports drift with drift: report, leaving the hand edit in place", async () => {
    const controller = await startController(config(report.name, "report"), env);
    try {
      await waitFor(() => landed(controller), { timeoutMs: 90_000, what: "the first sync" });
      await kubectl(["-n", report.name, "scale", "deployment", "web", "--replicas=3"]);
      const drift = await waitFor(
        async () => {
          const found = await driftOf(controller);
          return found?.objects.some((object) => object.kind === "Deployment") ? found : undefined;
        },
        { timeoutMs: 60_000, what: "the reconcile to report the scaled Deployment" },
      );
      expect(drift).toMatchObject({ mode: "report", action: "reported" });
      expect(drift.objects).toEqual([
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          namespace: report.name,
          name: "web",
          action: "configured",
        },
      ]);
      // Two more reconciles later, the hand edit is still there and still reported.
      const metrics = async () =>
        Number(
          /^simple_gitops_drift_objects\{service="web"\} (\d+)/m.exec(
            await (await fetch(`${controller.url}/metrics`)).text(),
          )?.[1],
        );
      await waitFor(async () => (await metrics()) === 1, {
        timeoutMs: 10_000,
        what: "the reported drift in /metrics",
        describe: async () => `simple_gitops_drift_objects{service="web"} is ${await metrics()}`,
      });
      let checkedAt = drift.checked_at;
      for (const round of [1, 2]) {
        checkedAt = await waitFor(
          async () => {
            const next = (await driftOf(controller))?.checked_at;
            return next && next !== checkedAt ? next : undefined;
          },
          { timeoutMs: 40_000, what: `reconcile ${round} after the report` },
        );
      }
      expect(await replicas(report.name)).toBe(3);
      expect((await driftOf(controller))?.objects.map((object) => object.kind)).toEqual(["Deployment"]);
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });
});
