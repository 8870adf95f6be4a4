import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceView } from "../../controller/report/server/views.js";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectl, type TestNamespace, waitFor } from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";

const APPLY_TIMEOUT_S = 3;

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;
let dir: string;
let realKubectl: string;

/**
 * standIn is a `kubectl` that, while `{dir}/hang` exists, hangs on `apply`: it records its own pid and that of a
 * child it starts (which does not hold its stdio, so only killing the whole process group reaches it) in
 * `{dir}/pids`, one attempt per line, and sleeps far longer than the apply timeout. Everything else, and `apply`
 * once the marker is gone, is the real kubectl.
 */
const standIn = () => `#!/bin/sh
case " $* " in
  *" apply "*)
    if [ -e '${dir}/hang' ]; then
      sleep 600 >/dev/null 2>&1 &
      echo "$$ $!" >> '${dir}/pids'
      sleep 600
      exit 1
    fi ;;
esac
exec '${realKubectl}' "$@"
`;

beforeAll(async () => {
  realKubectl = (await execa("sh", ["-c", "command -v kubectl"])).stdout.trim();
  expect(realKubectl).toMatch(/^\//);
  dir = await mkdtemp(join(tmpdir(), "hang-e2e-"));
  await writeFile(join(dir, "kubectl"), standIn());
  await chmod(join(dir, "kubectl"), 0o755);
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "gitops", "t0ken");
  ns = await createTestNamespace("hang");
  await repo.commit({
    "app/settings.yaml":
      "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: settings }\ndata: { value: landed }\n",
  });
});
afterAll(async () => {
  // Whatever happened, nothing of the stand-in outlives the test: each one led its own process group.
  for (const [leader] of await attempts()) {
    try {
      if (leader) process.kill(-leader, "SIGKILL");
    } catch {}
  }
  await world?.close();
  await ns?.cleanup();
  await rm(dir, { recursive: true, force: true });
});

/** attempts are the hung applies so far: for each, the stand-in's pid and its child's. */
async function attempts(): Promise<number[][]> {
  const text = await readFile(join(dir, "pids"), "utf8").catch(() => "");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => line.trim().split(" ").map(Number));
}

/** running is true while a process runs; a zombie (dead, waiting to be reaped) does not count. */
async function running(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

/** leftOver waits a moment for the processes of the given attempts to go, and returns those still running. */
async function leftOver(of: readonly number[][]): Promise<number[]> {
  const pids = of.flat();
  const still = async () =>
    (await Promise.all(pids.map(async (pid) => ((await running(pid)) ? pid : 0)))).filter(Boolean);
  return (await waitFor(async () => ((await still()).length === 0 ? [] : false), { timeoutMs: 1_000 }).catch(
    () => still(),
  )) as number[];
}

const service = async (controller: ControllerProcess) =>
  (await (await fetch(`${controller.url}/v1/gitops/services/settings`)).json()) as ServiceView;

const config = (applyTimeoutSeconds = APPLY_TIMEOUT_S) => `
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: settings, github: gitops, k8s_yaml_dir: app, namespace: ${ns.name}, stateless: false }
poll_interval: 2s
apply_timeout: ${applyTimeoutSeconds}s
listen: "127.0.0.1:0"
applyers: [kubectl]
`;

describe("a kubectl that hangs", () => {
  it("is killed with what it started after apply_timeout; the sync fails, is retried, and lands once kubectl answers", async () => {
    await writeFile(join(dir, "hang"), "");
    const controller = await startController(config(), {
      KUBECONFIG: kubeconfigPath(),
      GH_TOKEN: "t0ken",
      PATH: `${dir}:${process.env.PATH ?? ""}`,
    });
    try {
      // The first sync's apply hangs: from the moment it started, it is killed after the timeout, not later.
      const first = await waitFor(async () => (await attempts())[0], {
        timeoutMs: 60_000,
        intervalMs: 50,
        what: "the first apply to start",
      });
      const failed = await waitFor(
        async () => {
          const view = await service(controller);
          return view.state === "failed" ? view : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: "the sync to fail" },
      );
      const message = `kubectl apply did not finish within ${APPLY_TIMEOUT_S} s and was killed`;
      expect(failed.last_error?.code).toBe("E_APPLY");
      expect(failed.last_error?.message).toContain(message);
      expect(failed.objects).toEqual([
        expect.objectContaining({ kind: "ConfigMap", name: "settings", action: "failed", message }),
      ]);
      expect(failed.failures).toBe(1);
      // The stand-in and the child it started are gone: the whole process group was killed.
      expect(await leftOver([first])).toEqual([]);

      // Retried at the next poll after the backoff, and killed again.
      const retried = await waitFor(
        async () => {
          const view = await service(controller);
          return view.failures >= 2 ? view : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 100, what: "the sync to be retried and fail again" },
      );
      expect(retried.state).toBe("failed");
      expect(retried.last_error?.message).toContain(message);
      const hung = await attempts();
      expect(hung.length).toBeGreaterThanOrEqual(2);
      expect(await leftOver(hung)).toEqual([]);
      await expect(kubectl(["-n", ns.name, "get", "configmap", "settings"])).rejects.toThrow(/NotFound/);

      // kubectl answers again: the next retry lands.
      await rm(join(dir, "hang"));
      const landed = await waitFor(
        async () => {
          const view = await service(controller);
          return view.state === "deployed" ? view : undefined;
        },
        { timeoutMs: 40_000, intervalMs: 200, what: "the retry to land" },
      );
      expect(landed.last_error).toBeNull();
      expect(landed.failures).toBe(0);
      expect(landed.last_commit_id).toBe(await repo.head());
      expect(
        await kubectl(["-n", ns.name, "get", "configmap", "settings", "-o", "jsonpath={.data.value}"]),
      ).toBe("landed");
      expect(await leftOver(await attempts())).toEqual([]);
      expect(await controller.stop("SIGTERM")).toBe(0);
    } finally {
      controller.process.kill("SIGKILL");
    }
  }, 90_000);
});

describe("a leader that loses its Lease mid-apply", () => {
  it("stops the apply in flight and writes nothing more", async () => {
    await writeFile(join(dir, "hang"), "");
    const before = (await attempts()).length;
    // A long apply_timeout: only the lost Lease can stop this apply.
    const controller = await startController(config(600), {
      KUBECONFIG: kubeconfigPath(),
      GH_TOKEN: "t0ken",
      PATH: `${dir}:${process.env.PATH ?? ""}`,
      POD_NAME: "leader-a",
      POD_NAMESPACE: ns.name,
    });
    try {
      const hung = await waitFor(async () => (await attempts())[before], {
        timeoutMs: 60_000,
        intervalMs: 50,
        what: "the leader's apply to start",
      });
      // Another replica takes the Lease, as one would after this one stalled past its renew deadline.
      const now = new Date().toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
      await kubectl([
        "-n",
        ns.name,
        "patch",
        "lease",
        "simple-gitops-leader",
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { holderIdentity: "leader-b", renewTime: now, leaseDurationSeconds: 600 } }),
      ]);
      await waitFor(async () => controller.logs().some((line) => line.msg.startsWith("sync aborted")), {
        timeoutMs: 30_000,
        what: "the sync in flight to be aborted",
        describe: () => JSON.stringify(controller.logs().slice(-10)),
      });
      // The hung kubectl was killed with its group; nothing was applied or recorded.
      expect(await leftOver([hung])).toEqual([]);
      const view = await service(controller);
      expect(view).toMatchObject({ state: "pending", failures: 0, last_error: null, last_commit_id: "" });
      const events = (await (await fetch(`${controller.url}/v1/gitops/events`)).json()) as { count: number };
      expect(events.count).toBe(0);
      const gauge = /^simple_gitops_leader (\d)/m.exec(
        await (await fetch(`${controller.url}/metrics`)).text(),
      );
      expect(gauge?.[1]).toBe("0");
    } finally {
      await rm(join(dir, "hang"), { force: true });
      controller.process.kill("SIGKILL");
    }
  }, 90_000);
});
