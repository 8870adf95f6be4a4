import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { capacity } from "../../controller/fleet/assign-owners.js";
import { memberLeaseName } from "../../controller/fleet/member-lease.js";
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

// 60 services in 6 repositories, shared out between real controller processes, each holding its own Lease.
const REPOS = 6;
const PER_REPO = 10;
const SERVICES = REPOS * PER_REPO;
// The production Lease: 15 s. A dead member's services are owned again within two of them.
const LEASE_MS = 15_000;
const SYNC_TOKEN = "sync-t0ken";

const name = (repo: number, service: number) => `r${repo}-s${String(service).padStart(2, "0")}`;
const configMap = (service: string, value: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${service} }\ndata: { value: "${value}" }\n`;

let world: GitHubWorld;
let repos: GitRepo[];
let control: TestNamespace;
let apps: TestNamespace;
const members = new Map<string, ControllerProcess>();

async function commitAll(value: string): Promise<string[]> {
  return Promise.all(
    repos.map((repo, r) =>
      repo.commit(
        Object.fromEntries(
          Array.from({ length: PER_REPO }, (_, s) => [`${name(r, s)}/cm.yaml`, configMap(name(r, s), value)]),
        ),
      ),
    ),
  );
}

const config = (poll = "2s", appsNs = apps.name, extra = "") => `
github_configs:
${repos.map((_, r) => `  r${r}: { repo_owner: org, repo_name: r${r}, token_env: GH_TOKEN, api_url: "${world.server.url}" }`).join("\n")}
services:
${Array.from({ length: REPOS }, (_, r) =>
  Array.from(
    { length: PER_REPO },
    (_, s) =>
      `  - { name: ${name(r, s)}, github: r${r}, k8s_yaml_dir: ${name(r, s)}, namespace: ${appsNs}, stateless: false }`,
  ).join("\n"),
).join("\n")}
poll_interval: ${poll}
health_timeout: 0
# sharding is left unset: it is on by default with state: configmap, as apply-gitops installs it.
state: configmap
listen: "127.0.0.1:0"
${extra}
`;

async function start(
  pod: string,
  poll = "2s",
  ns = { control, apps },
  extra = "",
): Promise<ControllerProcess> {
  const controller = await startController(config(poll, ns.apps.name, extra), {
    KUBECONFIG: kubeconfigPath(),
    GH_TOKEN: "t0ken",
    PATH: process.env.PATH ?? "",
    POD_NAME: pod,
    POD_NAMESPACE: ns.control.name,
    GITOPS_SYNC_TOKEN: SYNC_TOKEN,
  });
  members.set(pod, controller);
  return controller;
}

interface Shards {
  member: string;
  members: { member: string; services: number; renew_time: string }[];
}

const shardsSeenBy = async (controller: ControllerProcess) =>
  (await (await fetch(`${controller.url}/v1/gitops/shards`)).json()) as Shards;

/** owners reads every service's owner as one pod's status API says it. */
async function owners(controller: ControllerProcess): Promise<Map<string, string>> {
  const body = (await (await fetch(`${controller.url}/v1/gitops/services?limit=1000`)).json()) as {
    services: { name: string; shard: string; state: string }[];
  };
  return new Map(body.services.map((service) => [service.name, service.shard]));
}

/** values reads every service's ConfigMap value in the namespace `ns`. */
async function values(ns = apps.name): Promise<Map<string, string>> {
  const list = await kubectlJson<{ items: { metadata: { name: string }; data?: { value?: string } }[] }>([
    "-n",
    ns,
    "get",
    "configmaps",
  ]);
  // The namespace's own kube-root-ca.crt is no service's.
  const ours = list.items.filter((item) => /^r\d+-s\d+$/.test(item.metadata.name));
  return new Map(ours.map((item) => [item.metadata.name, item.data?.value ?? ""]));
}

/** settled waits until every live pod names the same `pods` as members, each owning every service it is given. */
async function settled(pods: readonly string[], timeoutMs: number): Promise<Map<string, string>> {
  return waitFor(
    async () => {
      const seen = await Promise.all(pods.map((pod) => owners(members.get(pod) as ControllerProcess)));
      const first = seen[0] as Map<string, string>;
      const agreed = seen.every((view) => JSON.stringify([...view]) === JSON.stringify([...first]));
      const shards = await shardsSeenBy(members.get(pods[0] as string) as ControllerProcess);
      const live = shards.members.map((member) => member.member).sort();
      return agreed && live.join() === [...pods].sort().join() && first.size === SERVICES ? first : undefined;
    },
    { timeoutMs, intervalMs: 500, what: `${pods.join(", ")} to share the services out` },
  );
}

const moved = (before: Map<string, string>, after: Map<string, string>) =>
  [...before].filter(([service, owner]) => after.get(service) !== owner).map(([service]) => service);

/** appliedBy lists, per service, the pods that logged applying `commit` to it. */
function appliedBy(commits: readonly string[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const [pod, controller] of members) {
    for (const line of controller.logs()) {
      if (line.msg !== "sync applied" || !commits.includes(line.commit as string)) continue;
      const service = line.service as string;
      by.set(service, [...(by.get(service) ?? []), pod]);
    }
  }
  return by;
}

beforeAll(async () => {
  world = await createGitHubWorld();
  repos = await Promise.all(Array.from({ length: REPOS }, (_, r) => world.addRepo("org", `r${r}`, "t0ken")));
  control = await createTestNamespace("e2e-shards");
  apps = await createTestNamespace("e2e-shards-apps");
  await commitAll("1");
}, 60_000);
afterAll(async () => {
  for (const controller of members.values()) controller.process.kill("SIGKILL");
  await world?.close();
  await control?.cleanup();
  await apps?.cleanup();
});

describe("sharding: every pod works, services shared out through a Lease each", () => {
  it("shares 60 services out between 3 members: each change applied by exactly one, none above the bound", async () => {
    await Promise.all(["pod-a", "pod-b", "pod-c"].map((pod) => start(pod)));
    const first = await settled(["pod-a", "pod-b", "pod-c"], 90_000);
    await waitFor(
      async () => [...(await values()).values()].filter((value) => value === "1").length === SERVICES,
      {
        timeoutMs: 60_000,
        what: "every service's ConfigMap",
      },
    );
    const shards = await shardsSeenBy(members.get("pod-b") as ControllerProcess);
    const bound = capacity(SERVICES, 3);
    expect(shards.members.reduce((sum, member) => sum + member.services, 0)).toBe(SERVICES);
    expect(shards.members.filter((member) => member.services > bound)).toEqual([]);
    const two = await commitAll("2");
    await waitFor(
      async () => [...(await values()).values()].filter((value) => value === "2").length === SERVICES,
      {
        timeoutMs: 60_000,
        what: "the second commit in every service",
      },
    );
    await waitFor(async () => appliedBy(two).size === SERVICES, {
      timeoutMs: 30_000,
      what: "every apply logged",
    });
    const by = appliedBy(two);
    expect([...by].filter(([, pods]) => pods.length !== 1)).toEqual([]);
    expect([...by].filter(([service, pods]) => first.get(service) !== pods[0])).toEqual([]);
    // Every line a pod logs of a sync names that pod.
    for (const [pod, controller] of members) {
      const unnamed = controller.logs().filter((line) => line.msg === "sync applied" && line.member !== pod);
      expect(unnamed).toEqual([]);
    }
  }, 240_000);

  it("adds a 4th member: at most a quarter of the services move, plus the bound's slack", async () => {
    const before = await settled(["pod-a", "pod-b", "pod-c"], 30_000);
    await start("pod-d");
    const after = await settled(["pod-a", "pod-b", "pod-c", "pod-d"], 60_000);
    const moves = moved(before, after);
    const slack = capacity(SERVICES, 4) - Math.ceil(SERVICES / 4);
    expect(moves.length).toBeLessThanOrEqual(Math.ceil(SERVICES / 4) + slack);
    expect(moves.filter((service) => after.get(service) !== "pod-d").length).toBeLessThanOrEqual(slack);
  }, 120_000);

  it("kill -9 of a member: only its services move, and a hand edit of one is corrected within two Leases", async () => {
    const before = await settled(["pod-a", "pod-b", "pod-c", "pod-d"], 30_000);
    const victims = [...before].filter(([, owner]) => owner === "pod-c").map(([service]) => service);
    expect(victims.length).toBeGreaterThan(0);
    const edited = victims[0] as string;
    members.get("pod-c")?.process.kill("SIGKILL");
    members.delete("pod-c");
    await kubectl(["-n", apps.name, "patch", "configmap", edited, "-p", '{"data":{"value":"by-hand"}}']);
    const after = await settled(["pod-a", "pod-b", "pod-d"], 2 * LEASE_MS + 15_000);
    await waitFor(async () => (await values()).get(edited) === "2", {
      timeoutMs: 20_000,
      what: `the hand edit of ${edited} corrected by its new owner ${after.get(edited)}`,
    });
    const moves = moved(before, after);
    const slack = capacity(SERVICES, 3) - Math.ceil(SERVICES / 3);
    expect(moves.filter((service) => !victims.includes(service)).length).toBeLessThanOrEqual(slack);
    expect(victims.filter((service) => !moves.includes(service))).toEqual([]);
  }, 120_000);

  it("a member frozen past its Lease applies nothing when it wakes", async () => {
    await settled(["pod-a", "pod-b", "pod-d"], 30_000);
    const frozen = members.get("pod-a") as ControllerProcess;
    const pid = frozen.process.pid as number;
    // Frozen right after a commit, maybe with its sync of "3" under way: once its services are the others', that
    // sync must not reach the apiserver when it wakes, over the "4" they applied meanwhile.
    await commitAll("3");
    process.kill(pid, "SIGSTOP");
    try {
      await settled(["pod-b", "pod-d"], 2 * LEASE_MS + 15_000);
      await commitAll("4");
      await waitFor(async () => [...(await values()).values()].every((value) => value === "4"), {
        timeoutMs: 60_000,
        what: "the fourth commit applied by the two awake members",
        describe: async () => {
          const seen = await owners(members.get("pod-b") as ControllerProcess);
          const behind = [...(await values())].filter(([, value]) => value !== "4");
          return `behind: ${behind.map(([service, value]) => `${service}=${value} (owner ${seen.get(service)})`).join(", ")}`;
        },
      });
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const stale = new Set<string>();
    const woke = Date.now();
    await settled(["pod-a", "pod-b", "pod-d"], 60_000);
    while (Date.now() - woke < 20_000) {
      for (const [service, value] of await values()) if (value !== "4") stale.add(`${service}=${value}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect([...stale]).toEqual([]);
  }, 180_000);
});

describe("sharding: a sync request that reaches one pod", () => {
  it("syncs the services every pod owns at once, not at their next poll", async () => {
    const quiet = {
      control: await createTestNamespace("e2e-shards-quiet"),
      apps: await createTestNamespace("e2e-shards-quiet-apps"),
    };
    try {
      // Polls an hour apart: only the request passed on through the Leases can bring the commit in this test.
      const [x, y] = await Promise.all([start("pod-x", "1h", quiet), start("pod-y", "1h", quiet)]);
      const byPod = async () => {
        const seen = await owners(x as ControllerProcess);
        return new Set(seen.values());
      };
      await waitFor(async () => (await byPod()).size === 2, {
        timeoutMs: 60_000,
        what: "pod-x and pod-y to share",
      });
      await waitFor(async () => (await values(quiet.apps.name)).size === SERVICES, {
        timeoutMs: 60_000,
        what: "the first sync of every service",
      });
      const five = await commitAll("5");
      const asked = await fetch(`${(x as ControllerProcess).url}/v1/gitops/sync`, {
        method: "POST",
        headers: { authorization: `Bearer ${SYNC_TOKEN}` },
      });
      expect(asked.status).toBe(202);
      await waitFor(
        async () => [...(await values(quiet.apps.name)).values()].every((value) => value === "5"),
        {
          timeoutMs: 60_000,
          what: "every service synced by its owner after one manual sync",
        },
      );
      const appliedByY = (y as ControllerProcess)
        .logs()
        .filter((line) => line.msg === "sync applied" && five.includes(line.commit as string));
      expect(appliedByY.length).toBeGreaterThan(0);
      expect(appliedByY.every((line) => line.trigger === "manual")).toBe(true);
    } finally {
      await quiet.control.cleanup();
      await quiet.apps.cleanup();
    }
  }, 180_000);
});

describe("sharding: the rollout that turns it on, from pods electing a leader", () => {
  it("a member joins only once the old leader stopped and no pod took its Lease for a lease duration", async () => {
    const rollout = {
      control: await createTestNamespace("e2e-shards-rollout"),
      apps: await createTestNamespace("e2e-shards-rollout-apps"),
    };
    const memberLease = (pod: string) =>
      kubectl([
        "-n",
        rollout.control.name,
        "get",
        "lease",
        memberLeaseName(pod),
        "--ignore-not-found",
        "-o",
        "name",
      ]);
    const landed = (value: string) => async () => {
      const seen = await values(rollout.apps.name);
      return seen.size === SERVICES && [...seen.values()].every((each) => each === value);
    };
    try {
      // A pod of the older install: it elects itself leader and applies every service.
      const old = await start("old-0", "2s", rollout, "sharding: false");
      const six = await commitAll("6");
      await waitFor(landed("6"), { timeoutMs: 90_000, what: "the old leader to apply every service" });
      const member = await start("new-0", "2s", rollout);
      // Its state loaded and its loop running: a member that joined at once would claim services within two reads
      // of the members (2 s apart) and apply the next commit beside the old leader.
      await waitFor(async () => (await owners(member)).size === SERVICES, {
        timeoutMs: 30_000,
        what: "the new pod to serve every service's status",
      });
      const seven = await commitAll("7");
      await waitFor(landed("7"), { timeoutMs: 60_000, what: "the old leader to apply the next commit" });
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      const appliedByMember = () =>
        member.logs().filter((line) => line.msg === "sync applied" && typeof line.commit === "string");
      expect(appliedByMember()).toEqual([]);
      expect(await memberLease("new-0")).toBe("");
      expect(
        member.logs().some((line) => String(line.msg).startsWith("waiting for the leader election")),
      ).toBe(true);

      expect(await old.stop("SIGTERM")).toBe(0);
      const released = Date.now();
      const joined = await waitFor(async () => ((await memberLease("new-0")) ? Date.now() : undefined), {
        timeoutMs: 3 * LEASE_MS,
        intervalMs: 250,
        what: "the new pod's member Lease",
      });
      expect(joined - released).toBeGreaterThanOrEqual(LEASE_MS - 1_000);
      const eight = await commitAll("8");
      await waitFor(landed("8"), { timeoutMs: 90_000, what: "the member to apply every service" });
      const applied = appliedByMember().map((line) => line.commit as string);
      expect(applied.some((commit) => eight.includes(commit))).toBe(true);
      expect(applied.filter((commit) => six.includes(commit) || seven.includes(commit))).toEqual([]);
    } finally {
      await rollout.control.cleanup();
      await rollout.apps.cleanup();
    }
  }, 300_000);

  it("a pod set to sharding: false campaigns for the leader Lease only once the members stopped", async () => {
    const rollout = {
      control: await createTestNamespace("e2e-shards-back"),
      apps: await createTestNamespace("e2e-shards-back-apps"),
    };
    const leaderLease = () =>
      kubectl([
        "-n",
        rollout.control.name,
        "get",
        "lease",
        "simple-gitops-leader",
        "--ignore-not-found",
        "-o",
        "name",
      ]);
    try {
      const member = await start("member-0", "2s", rollout);
      await waitFor(async () => (await values(rollout.apps.name)).size === SERVICES, {
        timeoutMs: 90_000,
        what: "the member to apply every service",
      });
      const leader = await start("leader-0", "2s", rollout, "sharding: false");
      // Its state loaded and its loop running: a candidate that campaigned at once would hold the Lease by now.
      await waitFor(async () => (await owners(leader)).size === SERVICES, {
        timeoutMs: 30_000,
        what: "the new pod to serve every service's status",
      });
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(await leaderLease()).toBe("");
      expect(
        leader.logs().some((line) => String(line.msg).startsWith("waiting for the members of the fleet")),
      ).toBe(true);

      expect(await member.stop("SIGTERM")).toBe(0);
      await waitFor(async () => (await leaderLease()) !== "", {
        timeoutMs: 2 * LEASE_MS,
        intervalMs: 250,
        what: "the leader Lease once the member released its own",
      });
      const nine = await commitAll("9");
      await waitFor(
        async () => [...(await values(rollout.apps.name)).values()].every((value) => value === "9"),
        {
          timeoutMs: 90_000,
          what: "the leader to apply every service",
        },
      );
      const applied = leader.logs().filter((line) => line.msg === "sync applied");
      expect(applied.some((line) => nine.includes(line.commit as string))).toBe(true);
    } finally {
      await rollout.control.cleanup();
      await rollout.apps.cleanup();
    }
  }, 300_000);
});
