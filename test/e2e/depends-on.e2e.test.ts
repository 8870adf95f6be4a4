import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEvent } from "../../controller/record/state/state.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace, waitFor } from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";
import { auditEvents, configMap, deployment, landedAt, serviceView, widgetKind } from "./service-status.js";

// depends_on through a real controller process, the GitHub test server and the test cluster. In every config the
// dependent comes first, so only depends_on can make its dependency go first.

const TOKEN = "t0ken";
const MAIN = new URL("../../controller/main.ts", import.meta.url).pathname;

let world: GitHubWorld;
let ns: TestNamespace;
// The CRD groups this file created, deleted at the end: CRDs are cluster-wide.
const groups: string[] = [];

beforeAll(async () => {
  world = await createGitHubWorld();
  ns = await createTestNamespace("e2e-depends-on");
});
afterAll(async () => {
  await world?.close();
  await ns?.cleanup();
  for (const group of groups)
    await kubectl(["delete", "crd", `widgets.${group}`, "--ignore-not-found", "--wait=false"]);
});

const env = () => ({ KUBECONFIG: kubeconfigPath(), GH_TOKEN: TOKEN, PATH: process.env.PATH ?? "" });
const repoEntry = (key: string, name: string) =>
  `  ${key}: { repo_owner: org, repo_name: ${name}, token_env: GH_TOKEN, api_url: "${world.server.url}" }`;
const serviceEntry = (name: string, github: string, dependsOn?: string) =>
  `  - { name: ${name}, github: ${github}, k8s_yaml_dir: ${name}, namespace: ${ns.name}, stateless: false${dependsOn ? `, depends_on: [${dependsOn}]` : ""} }`;
/** configOf is a controller config of `repos` (key: repository name) and service entries, polling every second. */
const configOf = (repos: Record<string, string>, services: readonly string[]) =>
  [
    "github_configs:",
    ...Object.entries(repos).map(([key, name]) => repoEntry(key, name)),
    "services:",
    ...services,
    'poll_interval: 1s\nhealth_timeout: 5s\nlisten: "127.0.0.1:0"\napplyers: [kubectl]\n',
  ].join("\n");

/** appliesOf is the trail's `apply` entries of one service, oldest first. */
const appliesOf = (trail: readonly AuditEvent[], service: string) =>
  trail.filter((event) => event.service === service && event.kind === "apply");
const widgets = async (group: string) =>
  (await kubectl(["-n", ns.name, "get", `widgets.${group}`, "-o", "name"]))
    .split("\n")
    .filter(Boolean)
    .sort();
const settingOf = async (name: string) =>
  kubectl(["-n", ns.name, "get", "configmap", name, "-o", "jsonpath={.data.value}"]);

describe("depends_on on a real cluster", () => {
  it("lands a CRD-providing service and its consumer from one commit, the CRD first", async () => {
    const suffix = randomBytes(3).toString("hex");
    const [app, crds] = [`app-${suffix}`, `crds-${suffix}`];
    const repo = await world.addRepo("org", `one-${suffix}`, TOKEN);
    const c1 = await repo.commit({
      [`${app}/a.yaml`]: configMap(`a-${suffix}`, "1"),
      [`${crds}/c.yaml`]: configMap(`c-${suffix}`, "1"),
    });
    const config = configOf({ gitops: `one-${suffix}` }, [
      serviceEntry(app, "gitops", crds),
      serviceEntry(crds, "gitops"),
    ]);
    const controller = await startController(config, env());
    try {
      const { group, crd, widget } = widgetKind();
      groups.push(group);
      // Both have landed already: the CRD comes first only because the run syncs crds before app.
      await Promise.all([landedAt(controller, crds, c1), landedAt(controller, app, c1)]);
      const head = await repo.commit({
        [`${crds}/crd.yaml`]: crd,
        [`${app}/widgets.yaml`]: `${widget("w1")}---\n${widget("w2")}`,
      });
      await Promise.all([landedAt(controller, crds, head), landedAt(controller, app, head)]);
      await expectLandedInOrder(controller, { dependency: crds, dependent: app, commit: head });
      expect(await widgets(group)).toEqual([`widget.${group}/w1`, `widget.${group}/w2`]);
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });

  it("starts a dependent of another repository in the same run once its dependency landed", async () => {
    const suffix = randomBytes(3).toString("hex");
    const [app, crds] = [`app-${suffix}`, `crds-${suffix}`];
    const { group, crd, widget } = widgetKind();
    groups.push(group);
    const platform = await world.addRepo("org", `platform-${suffix}`, TOKEN);
    const apps = await world.addRepo("org", `apps-${suffix}`, TOKEN);
    // The operator's rollout keeps crds syncing well after app's repository was read: app is seen while it waits.
    const crdHead = await platform.commit({
      [`${crds}/crd.yaml`]: crd,
      [`${crds}/operator.yaml`]: deployment(`operator-${suffix}`),
    });
    const appHead = await apps.commit({ [`${app}/widgets.yaml`]: widget("w1") });
    const config = configOf({ apps: `apps-${suffix}`, platform: `platform-${suffix}` }, [
      serviceEntry(app, "apps", crds),
      serviceEntry(crds, "platform"),
    ]);
    const controller = await startController(config, env());
    try {
      await Promise.all([landedAt(controller, crds, crdHead), landedAt(controller, app, appHead)]);
      await expectLandedInOrder(controller, {
        dependency: crds,
        dependent: app,
        commit: appHead,
        dependencyCommit: crdHead,
      });
      // Held at start-up and started by crds landing, not by a later poll: it kept its start-up trigger.
      const [applied] = appliesOf(await auditEvents(controller), app);
      expect(applied?.trigger).toBe("startup");
      expect(controller.logs().map((line) => line.msg)).toContain(
        `service ${app} waits on ${crds}: has not landed yet`,
      );
      expect(await widgets(group)).toEqual([`widget.${group}/w1`]);
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });

  it("holds a dependent while its dependency fails, and applies its change once the dependency lands", async () => {
    const suffix = randomBytes(3).toString("hex");
    const [app, db] = [`app-${suffix}`, `db-${suffix}`];
    const repo = await world.addRepo("org", `held-${suffix}`, TOKEN);
    const c1 = await repo.commit({
      [`${app}/settings.yaml`]: configMap(`settings-${suffix}`, "1"),
      [`${db}/deploy.yaml`]: deployment(db),
    });
    const config = configOf({ gitops: `held-${suffix}` }, [
      serviceEntry(app, "gitops", db),
      serviceEntry(db, "gitops"),
    ]);
    const controller = await startController(config, env());
    try {
      await Promise.all([landedAt(controller, db, c1), landedAt(controller, app, c1)]);
      // No node carries this pool: db's Deployment never becomes available, and app's change waits for it.
      const c2 = await repo.commit({
        [`${app}/settings.yaml`]: configMap(`settings-${suffix}`, "2"),
        [`${db}/deploy.yaml`]: deployment(db, `nowhere-${suffix}`),
      });
      const failed = await waitFor(
        async () => {
          const view = await serviceView(controller, db);
          return view.last_error?.commit === c2 ? view : undefined;
        },
        { timeoutMs: 60_000, what: `${db} to fail at ${c2}` },
      );
      expect(failed.last_error?.code).toBe("E_UNHEALTHY");
      // Several polls go by with db failing: each holds app again, naming db.
      const waits = () =>
        controller
          .logs()
          .filter((line) => line.msg.startsWith(`service ${app} waits on ${db}: failed at commit`));
      const appliedAt = async (commit: string) =>
        appliesOf(await auditEvents(controller), app).some((event) => event.commit === commit);
      // An apply of app's change ends the wait early: the assertions below then say so.
      await waitFor(async () => waits().length >= 3 || (await appliedAt(c2)), {
        timeoutMs: 60_000,
        what: `${app} held by three polls`,
      });
      const held = await serviceView(controller, app);
      expect(held.waiting_on).toEqual([
        {
          service: db,
          reason: expect.stringMatching(new RegExp(`^failed at commit ${c2.slice(0, 12)}: E_UNHEALTHY: `)),
        },
      ]);
      expect([held.last_commit_id, held.state, await settingOf(`settings-${suffix}`)]).toEqual([
        c1,
        "deployed",
        "1",
      ]);
      expect(appliesOf(await auditEvents(controller), app).map((event) => event.commit)).toEqual([c1]);

      // db fixed: it lands, and app's change (made at c2, unchanged since) lands after it in the same run.
      const c3 = await repo.commit({ [`${db}/deploy.yaml`]: deployment(db) });
      await Promise.all([landedAt(controller, db, c3), landedAt(controller, app, c3)]);
      await expectLandedInOrder(controller, { dependency: db, dependent: app, commit: c3 });
      expect(await settingOf(`settings-${suffix}`)).toBe("2");
      expect(appliesOf(await auditEvents(controller), app).map((event) => event.commit)).toEqual([c1, c3]);
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  });

  it("refuses a dependency cycle at start-up, exit 2 naming both services, before reading or applying anything", async () => {
    const suffix = randomBytes(3).toString("hex");
    const [web, api] = [`web-${suffix}`, `api-${suffix}`];
    const repo = await world.addRepo("org", `cycle-${suffix}`, TOKEN);
    await repo.commit({
      [`${web}/a.yaml`]: configMap(`w-${suffix}`, "1"),
      [`${api}/a.yaml`]: configMap(`a-${suffix}`, "1"),
    });
    const dir = await mkdtemp(join(tmpdir(), "depends-on-cycle-"));
    try {
      const configPath = join(dir, "gitops-config.yaml");
      await writeFile(
        configPath,
        configOf({ gitops: `cycle-${suffix}` }, [
          serviceEntry(web, "gitops", api),
          serviceEntry(api, "gitops", web),
        ]),
      );
      const requestsBefore = world.server.requests.length;
      const run = await execa(
        process.execPath,
        ["--import", "tsx", MAIN, "--config", configPath, "--state-dir", join(dir, "state")],
        { env: env(), reject: false, timeout: 30_000 },
      );
      expect(run.exitCode, run.stderr).toBe(2);
      expect(run.stderr).toContain(
        `services[0].depends_on[0]: a dependency cycle: ${web} → ${api} → ${web}; each would wait for the other forever`,
      );
      expect(world.server.requests.length).toBe(requestsBefore);
      expect(
        await kubectl([
          "-n",
          ns.name,
          "get",
          "configmaps",
          "-l",
          `simple-gitops.io/service in (${web},${api})`,
          "-o",
          "name",
        ]),
      ).toBe("");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * expectLandedInOrder checks that the dependent's change at `commit` was applied once, successfully, and started only
 * after its dependency's apply of `dependencyCommit` (`commit` unless in another repository) ended, neither failing on
 * the way. An audit entry's time is when its sync started.
 */
async function expectLandedInOrder(
  controller: ControllerProcess,
  {
    dependency,
    dependent,
    commit,
    dependencyCommit = commit,
  }: { dependency: string; dependent: string; commit: string; dependencyCommit?: string },
): Promise<void> {
  const trail = await auditEvents(controller);
  const first = appliesOf(trail, dependency).find((event) => event.commit === dependencyCommit);
  const then = appliesOf(trail, dependent).filter((event) => event.commit === commit);
  expect(first?.result).toBe("succeeded");
  expect(then.map((event) => event.result)).toEqual(["succeeded"]);
  const dependencyEnded = Date.parse(first?.time ?? "") + (first?.durationMs ?? 0);
  expect(Date.parse(then[0]?.time ?? "")).toBeGreaterThanOrEqual(dependencyEnded);
  expect((await serviceView(controller, dependent)).waiting_on).toEqual([]);
}
