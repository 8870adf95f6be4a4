import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace, waitFor } from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";
import {
  auditEvents,
  configMap,
  deployment,
  landedAt,
  serviceView,
  type WidgetKind,
  widgetKind,
} from "./service-status.js";

// Prune's deletion order through a real controller process on the test cluster: a custom resource whose finalizer
// nobody removes (its operator is gone) is reported once the deadline passes, and its operator and CRD, which come
// later in the order, are kept until it is gone.

const TOKEN = "t0ken";
const HEALTH_TIMEOUT_MS = 4000;

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;
let kind: WidgetKind;

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "deletion", TOKEN);
  ns = await createTestNamespace("e2e-deletion-order");
  kind = widgetKind();
});
afterAll(async () => {
  await world?.close();
  // A Widget still held by its finalizer would keep its namespace terminating for good.
  await kubectl([
    "-n",
    ns.name,
    "patch",
    `widgets.${kind.group}`,
    "w1",
    "--type=merge",
    "-p",
    '{"metadata":{"finalizers":null}}',
  ]).catch(() => undefined);
  await ns?.cleanup();
  await kubectl(["delete", "crd", `widgets.${kind.group}`, "--ignore-not-found", "--wait=false"]);
});

const exists = async (resource: string, name: string, namespace?: string) =>
  (
    await kubectl([
      ...(namespace ? ["-n", namespace] : []),
      "get",
      resource,
      name,
      "--ignore-not-found",
      "-o",
      "name",
    ])
  ).trim() !== "";

/**
 * startPruning runs a controller with prune on over the test repository, each service given as its flow-mapping
 * fields (name, k8s_yaml_dir, …) and put in the test's namespace.
 */
const startPruning = (services: string[]) =>
  startController(
    `
github_configs:
  gitops: { repo_owner: org, repo_name: deletion, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
${services.map((fields) => `  - ${fields.replace(/ }$/, `, github: gitops, namespace: ${ns.name}, stateless: false }`)}`).join("\n")}
prune: true
poll_interval: 1s
health_timeout: ${HEALTH_TIMEOUT_MS}ms
listen: "127.0.0.1:0"
applyers: [kubectl]
`,
    { KUBECONFIG: kubeconfigPath(), GH_TOKEN: TOKEN, PATH: process.env.PATH ?? "" },
  );

/** settledAt waits until a service landed `commit` or failed at it; it ends early if it landed, so a test says why. */
const settledAt = (controller: ControllerProcess, name: string, commit: string) =>
  waitFor(
    async () => {
      const view = await serviceView(controller, name);
      return view.last_error?.commit === commit || view.last_commit_id === commit ? view : undefined;
    },
    { timeoutMs: 60_000, what: `${name} to settle at ${commit}` },
  );

describe("deletion order on a real cluster", () => {
  it("reports a custom resource stuck on its finalizer instead of waiting, keeps its operator and CRD, and finishes once the finalizer is removed", async () => {
    const svc = `widgets-${randomBytes(3).toString("hex")}`;
    const finalizer = `${kind.group}/cleanup`;
    const crdName = `widgets.${kind.group}`;
    // The same name, as kubectl's resource.group for the Widgets themselves.
    const widgets = crdName;
    const c1 = await repo.commit({
      [`${svc}/crd.yaml`]: kind.crd,
      [`${svc}/operator.yaml`]: deployment("operator"),
      [`${svc}/widget.yaml`]: kind.widget("w1", finalizer),
      [`${svc}/keep.yaml`]: configMap("keep", "1"),
    });
    const controller = await startPruning([`{ name: ${svc}, k8s_yaml_dir: ${svc} }`]);
    try {
      await landedAt(controller, svc, c1);

      // The operator, its CRD and the Widget leave git together; the Widget's finalizer is never removed.
      const c2 = await repo.commit({
        [`${svc}/crd.yaml`]: null,
        [`${svc}/operator.yaml`]: null,
        [`${svc}/widget.yaml`]: null,
      });
      const stuck = await settledAt(controller, svc, c2);
      expect(stuck.last_error?.code).toBe("E_PRUNE");
      expect(stuck.last_error?.message).toContain(
        `prune Widget ${ns.name}/w1: deleted, but still there after`,
      );
      expect(stuck.last_error?.message).toContain(`held by finalizer ${finalizer}`);
      expect(stuck.last_commit_id).toBe(c1);
      // Deleted (terminating), and what comes after it in the order is kept.
      const deletedAt = await kubectl([
        "-n",
        ns.name,
        "get",
        widgets,
        "w1",
        "-o",
        "jsonpath={.metadata.deletionTimestamp}",
      ]);
      expect(deletedAt).not.toBe("");
      expect([await exists("deployment", "operator", ns.name), await exists("crd", crdName)]).toEqual([
        true,
        true,
      ]);

      // The first failure waited out the deadline; a retry reports the Widget at once: its deadline runs from its
      // deletion, not from each sync.
      const failedApplies = async () =>
        (await auditEvents(controller)).filter(
          (event) =>
            event.service === svc &&
            event.kind === "apply" &&
            event.commit === c2 &&
            event.result === "failed",
        );
      const [first, retry] = await waitFor(
        async () => ((await failedApplies()).length >= 2 ? failedApplies() : undefined),
        {
          timeoutMs: 60_000,
          what: `a retry of ${c2}`,
        },
      );
      expect(first?.durationMs).toBeGreaterThanOrEqual(HEALTH_TIMEOUT_MS);
      expect(retry?.durationMs).toBeLessThan(HEALTH_TIMEOUT_MS);
      expect(retry?.error).toContain(`held by finalizer ${finalizer}`);
      expect([await exists("deployment", "operator", ns.name), await exists("crd", crdName)]).toEqual([
        true,
        true,
      ]);

      // The operator's job, done by hand: the next sync finishes the prune, operator and CRD included.
      await kubectl([
        "-n",
        ns.name,
        "patch",
        widgets,
        "w1",
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
      ]);
      const landed = await landedAt(controller, svc, c2);
      expect(landed.last_error).toBeNull();
      const prune = (await auditEvents(controller)).findLast(
        (event) => event.service === svc && event.kind === "prune",
      );
      expect(prune?.objects.map((object) => `${object.kind}/${object.name}:${object.action}`).sort()).toEqual(
        [
          `CustomResourceDefinition/${crdName}:deleted`,
          "Deployment/operator:deleted",
          "Widget/w1:not-found",
        ].sort(),
      );
      await waitFor(async () => !(await exists("crd", crdName)), {
        timeoutMs: 30_000,
        what: `${crdName} to be gone`,
      });
      expect([
        await exists("deployment", "operator", ns.name),
        await exists("configmap", "keep", ns.name),
      ]).toEqual([false, true]);
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });

  it("keeps an operator and its CRD while another service's custom resources of it still exist, and prunes them after", async () => {
    const other = widgetKind();
    const suffix = randomBytes(3).toString("hex");
    const [ops, app] = [`ops-${suffix}`, `app-${suffix}`];
    const finalizer = `${other.group}/cleanup`;
    const crdName = `widgets.${other.group}`;
    const c1 = await repo.commit({
      [`${ops}/crd.yaml`]: other.crd,
      [`${ops}/operator.yaml`]: deployment("operator2"),
      // Each directory keeps a file: one that loses all its files is refused as missing, never pruned whole.
      [`${ops}/keep.yaml`]: configMap("keep-ops", "1"),
      [`${app}/widget.yaml`]: other.widget("w2", finalizer),
      [`${app}/keep.yaml`]: configMap("keep2", "1"),
    });
    const controller = await startPruning([
      `{ name: ${app}, k8s_yaml_dir: ${app}, depends_on: [${ops}] }`,
      `{ name: ${ops}, k8s_yaml_dir: ${ops} }`,
    ]);
    try {
      await landedAt(controller, ops, c1);
      await landedAt(controller, app, c1);
      // Both services lose their custom-resource objects in one commit; ops, the dependency, is synced first.
      const c2 = await repo.commit({
        [`${ops}/crd.yaml`]: null,
        [`${ops}/operator.yaml`]: null,
        [`${app}/widget.yaml`]: null,
      });
      const held = await settledAt(controller, ops, c2);
      expect(held.last_error?.code).toBe("E_PRUNE");
      expect(held.last_error?.message).toContain(
        `prune CustomResourceDefinition ${crdName}: kept with the rest of this prune: its custom resources still exist (Widget ${ns.name}/w2)`,
      );
      // app deleted its Widget, which waits on its finalizer; its operator and CRD are still there to run it.
      await waitFor(
        async () =>
          (await kubectl([
            "-n",
            ns.name,
            "get",
            crdName,
            "w2",
            "-o",
            "jsonpath={.metadata.deletionTimestamp}",
          ])) !== "",
        { timeoutMs: 60_000, what: "w2 to be deleted by its own service" },
      );
      expect([await exists("deployment", "operator2", ns.name), await exists("crd", crdName)]).toEqual([
        true,
        true,
      ]);
      // The operator does its job (here by hand): the Widget goes, app lands, and ops then prunes what it left.
      await kubectl([
        "-n",
        ns.name,
        "patch",
        crdName,
        "w2",
        "--type=merge",
        "-p",
        '{"metadata":{"finalizers":null}}',
      ]);
      await landedAt(controller, app, c2);
      await landedAt(controller, ops, c2);
      await waitFor(async () => !(await exists("crd", crdName)), {
        timeoutMs: 30_000,
        what: `${crdName} to be gone`,
      });
      expect([
        await exists("deployment", "operator2", ns.name),
        await exists("configmap", "keep2", ns.name),
      ]).toEqual([false, true]);
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
      await kubectl(["delete", "crd", crdName, "--ignore-not-found", "--wait=false"]);
    }
  });
});
