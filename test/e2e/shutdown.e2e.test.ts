import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ControllerState } from "../../controller/record/state/state.js";
import type { GitRepo } from "../github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectlJson, type TestNamespace, waitFor } from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";

const configMap = (name: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { value: "${value}" }\n`;

/** The controller's shutdown grace for the run in progress (controller/main.ts). */
const GRACE_SECONDS = 20;

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;
let dir: string;
/** Each notification received, and whether its answer reached a sender still connected (delivered). */
const notifications: { service_name: string; commit_id: string; event: string; delivered: boolean }[] = [];
let receiver: Server;
let receiverUrl: string;

/**
 * A kubectl on PATH before the real one: while the hold file exists, an apply that carries service `slow` writes the
 * started file and sleeps as many seconds as the hold file says before it runs the real kubectl, so a test can signal
 * the controller mid-apply.
 */
async function kubectlWrapper(): Promise<{ binDir: string; hold: string; started: string }> {
  const real = (await execa("bash", ["-c", "command -v kubectl"])).stdout.trim();
  const binDir = join(dir, "bin");
  const hold = join(dir, "hold");
  const started = join(dir, "started");
  await execa("mkdir", ["-p", binDir]);
  const script = `#!/usr/bin/env bash
if [[ " $* " == *" apply "* && -f ${hold} ]]; then
  input=$(cat)
  if grep -qE 'simple-gitops.io/service"?: *"?slow' <<<"$input"; then touch ${started}; sleep "$(cat ${hold})"; fi
  exec ${real} "$@" <<<"$input"
fi
exec ${real} "$@"
`;
  await writeFile(join(binDir, "kubectl"), script);
  await chmod(join(binDir, "kubectl"), 0o755);
  return { binDir, hold, started };
}

beforeAll(async () => {
  world = await createGitHubWorld();
  repo = await world.addRepo("org", "gitops", "t0ken");
  ns = await createTestNamespace("shutdown");
  dir = await mkdtemp(join(tmpdir(), "shutdown-e2e-"));
  // A notification receiver that answers after 0.7 s: notifications sent as the run ends are still in flight when the
  // controller would exit (one at a time per target), and count as delivered only if the controller waited for them.
  receiver = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on("end", () => {
      setTimeout(() => {
        notifications.push({ ...JSON.parse(body), delivered: !request.socket.destroyed });
        response.end("ok");
      }, 700);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const address = receiver.address();
  receiverUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;
});
afterAll(async () => {
  await world?.close();
  await ns?.cleanup();
  receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

const config = () => `
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: fast, github: gitops, k8s_yaml_dir: fast, namespace: ${ns.name}, stateless: false }
  - { name: slow, github: gitops, k8s_yaml_dir: slow, namespace: ${ns.name}, stateless: false }
poll_interval: 2s
listen: "127.0.0.1:0"
applyers: [kubectl]
prune: true
notifications:
  - { url: "${receiverUrl}", type: generic }
`;

const value = async (name: string) =>
  (await kubectlJson<{ data: { value: string } }>(["-n", ns.name, "get", "configmap", name])).data.value;

const storedCommits = async (stateDir: string) => {
  const state = JSON.parse(await readFile(join(stateDir, "state.json"), "utf8")) as ControllerState;
  return { fast: state.services.fast?.commit, slow: state.services.slow?.commit };
};

interface Scenario {
  readonly wrapper: { binDir: string; hold: string; started: string };
  readonly stateDir: string;
  /** landed is the commit both services landed at before the held one; commit is the held one. */
  readonly landed: string;
  readonly commit: string;
  readonly controller: ControllerProcess;
}

/**
 * applyingSlow starts a controller on a fresh state, lets both services land, then holds the apply of service slow
 * for `holdSeconds` and commits a change to both; it resolves once slow's held apply has started.
 */
async function applyingSlow(
  name: string,
  holdSeconds: number,
  extraEnv: Record<string, string> = {},
): Promise<Scenario> {
  const wrapper = await kubectlWrapper();
  await rm(wrapper.started, { force: true });
  const stateDir = join(dir, name);
  const controller = await startController(config(), env(wrapper, extraEnv), { stateDir });
  const landed = await repo.commit({
    "fast/cm.yaml": configMap("fast", name),
    "slow/cm.yaml": configMap("slow", name),
  });
  await waitFor(async () => (await storedCommits(stateDir)).slow === landed, {
    timeoutMs: 60_000,
    what: "the first sync of both services",
    describe: () => JSON.stringify(controller.logs().slice(-15)),
  });
  await writeFile(wrapper.hold, String(holdSeconds));
  const commit = await repo.commit({
    "fast/cm.yaml": configMap("fast", `${name}-2`),
    "slow/cm.yaml": configMap("slow", `${name}-2`),
  });
  await waitFor(
    async () =>
      (await readFile(wrapper.started).then(
        () => true,
        () => false,
      )) || undefined,
    {
      timeoutMs: 30_000,
      what: "the apply of service slow to start",
    },
  );
  return { wrapper, stateDir, landed, commit, controller };
}

const env = (wrapper: { binDir: string }, extra: Record<string, string> = {}) => ({
  KUBECONFIG: kubeconfigPath(),
  GH_TOKEN: "t0ken",
  PATH: `${wrapper.binDir}:${process.env.PATH ?? ""}`,
  ...extra,
});

// Leader election on, as in a pod.
const leaderEnv = () => ({ POD_NAME: "controller-0", POD_NAMESPACE: ns.name });

async function sigterm(controller: ControllerProcess) {
  const signalled = Date.now();
  const exitCode = await controller.stop("SIGTERM");
  return { exitCode, tookMs: Date.now() - signalled, logs: controller.logs() };
}

async function leaseHolder(): Promise<string> {
  const lease = await kubectlJson<{ spec: { holderIdentity?: string } }>([
    "-n",
    ns.name,
    "get",
    "lease",
    "simple-gitops-leader",
  ]);
  return lease.spec.holderIdentity ?? "";
}

describe("shutdown and crash of a real controller process mid-apply", () => {
  it("on SIGTERM during a kubectl apply that ends within the grace: finishes it, releases the Lease, flushes its notification, exits 0", async () => {
    const run = await applyingSlow("finish", 6, leaderEnv());
    try {
      const { exitCode, tookMs, logs } = await sigterm(run.controller);
      expect(exitCode, JSON.stringify(logs.slice(-8))).toBe(0);
      expect(tookMs).toBeLessThan(GRACE_SECONDS * 1000);
      expect(logs.find((line) => line.msg === "stopped")).toMatchObject({ abandoned: false });
      expect(logs.some((line) => line.msg === "released the Lease")).toBe(true);
      expect(await leaseHolder()).toBe("");
      expect(await storedCommits(run.stateDir)).toEqual({ fast: run.commit, slow: run.commit });
      // slow's notification was sent as its apply ended, after the signal: the controller waited for its answer.
      expect(
        notifications
          .filter((n) => n.event === "sync_completed" && n.commit_id === run.commit)
          .map((n) => [n.service_name, n.delivered]),
      ).toEqual([
        ["fast", true],
        ["slow", true],
      ]);
    } finally {
      await rm(run.wrapper.hold, { force: true });
      await run.controller.stop("SIGKILL");
    }
  });

  it("on SIGTERM during a kubectl apply that outlasts the grace: aborts it, exits 0 in time; the next start re-applies it", async () => {
    const run = await applyingSlow("abort", GRACE_SECONDS + 5, leaderEnv());
    let restarted: ControllerProcess | undefined;
    try {
      const { exitCode, tookMs, logs } = await sigterm(run.controller);
      expect(exitCode, JSON.stringify(logs.slice(-8))).toBe(0);
      // Within the pod's 30 s grace period: 20 s for the run, then the Lease, the server and the notifications.
      expect(tookMs).toBeLessThan(30_000);
      expect(logs.find((line) => line.msg === "stopped")).toMatchObject({ abandoned: true });
      expect(await leaseHolder()).toBe("");
      // fast landed at the new commit; slow stays recorded at the one before, so it is applied again.
      expect(await storedCommits(run.stateDir)).toEqual({ fast: run.commit, slow: run.landed });

      await rm(run.wrapper.hold);
      restarted = await startController(config(), env(run.wrapper, leaderEnv()), { stateDir: run.stateDir });
      await waitFor(async () => (await storedCommits(run.stateDir)).slow === run.commit, {
        timeoutMs: 60_000,
        what: "service slow to land at the new commit after the restart",
      });
      expect([await value("fast"), await value("slow")]).toEqual(["abort-2", "abort-2"]);
    } finally {
      await rm(run.wrapper.hold, { force: true });
      await run.controller.stop("SIGKILL");
      await restarted?.stop("SIGKILL");
    }
  });

  it("after kill -9 mid-apply, a restart converges and deletes nothing", async () => {
    const run = await applyingSlow("kill", 30);
    let restarted: ControllerProcess | undefined;
    try {
      expect(await run.controller.stop("SIGKILL")).toBeUndefined();
      await rm(run.wrapper.hold);
      restarted = await startController(config(), env(run.wrapper), { stateDir: run.stateDir });
      await waitFor(async () => (await storedCommits(run.stateDir)).slow === run.commit, {
        timeoutMs: 60_000,
        what: "both services to land after the restart",
      });
      expect([await value("fast"), await value("slow")]).toEqual(["kill-2", "kill-2"]);
      // Both objects are still there (read above), and no run of either process pruned anything.
      const events = (await (await fetch(`${restarted.url}/v1/gitops/events?limit=200`)).json()) as {
        events: { kind: string }[];
      };
      expect(events.events.filter((event) => event.kind === "prune")).toEqual([]);
    } finally {
      await rm(run.wrapper.hold, { force: true });
      await restarted?.stop("SIGKILL");
    }
  });
});
