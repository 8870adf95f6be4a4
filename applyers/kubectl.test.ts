import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { KILL_GRACE_MS, type RunCommand, type RunResult, runProcess } from "../common/run.js";
import type { KubeObject } from "../kube/objects.js";
import { stillRunning } from "../test/still-running.js";
import { ApplyerUnavailableError } from "./applyer.js";
import { createKubectlApplyer } from "./kubectl.js";

const log = pino({ level: "silent" });

/**
 * fakeKubectl answers like kubectl over an in-memory store: enough of get/apply/wait/delete to exercise the
 * applyer's bookkeeping; `get --raw` serves discovery of v1 and `delete --raw` a ConfigMap path with a
 * DeleteOptions body, its UID precondition checked as the apiserver does. Objects named `bad-*` are rejected the way the apiserver rejects invalid objects, and a
 * batch containing one fails as a whole, as kubectl exits non-zero when any object fails.
 */
function fakeKubectl(initial: KubeObject[] = []) {
  const store = new Map<string, KubeObject>();
  let rv = 100;
  const key = (o: KubeObject) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
  for (const o of initial)
    store.set(key(o), { ...o, metadata: { ...o.metadata, resourceVersion: String(rv++) } });
  const calls: { args: string[]; input?: string; timeoutMs?: number; signal?: AbortSignal }[] = [];
  const docs = (input = "") =>
    input
      .split("\n")
      .filter((l) => l !== "")
      .map((d) => JSON.parse(d) as KubeObject);
  const out = (items: KubeObject[]) =>
    items.length === 1 ? JSON.stringify(items[0]) : JSON.stringify({ kind: "List", items });
  const run: RunCommand = async (_file, args, opts = {}): Promise<RunResult> => {
    calls.push({ args: [...args], input: opts.input, timeoutMs: opts.timeoutMs, signal: opts.signal });
    const verb = args.find((a) => ["get", "apply", "wait", "delete", "version"].includes(a));
    if (verb === "version") return { exitCode: 0, stdout: "{}", stderr: "" };
    if (verb === "wait") return { exitCode: 0, stdout: "", stderr: "" };
    const raw = args[args.indexOf("--raw") + 1];
    if (verb === "get" && args.includes("--raw")) {
      if (raw !== "/api/v1")
        return {
          exitCode: 1,
          stdout: "",
          stderr: "Error from server (NotFound): the server could not find it",
        };
      const resources = [{ name: "configmaps", namespaced: true, kind: "ConfigMap" }];
      return { exitCode: 0, stdout: JSON.stringify({ kind: "APIResourceList", resources }), stderr: "" };
    }
    if (verb === "get") {
      const found = docs(opts.input).flatMap((d) => store.get(key(d)) ?? []);
      return { exitCode: 0, stdout: JSON.stringify({ kind: "List", items: found }), stderr: "" };
    }
    if (verb === "delete") {
      const [, namespace, name] =
        /^\/api\/v1\/namespaces\/([^/]+)\/configmaps\/([^/]+)$/.exec(raw ?? "") ?? [];
      const k = `ConfigMap/${namespace}/${name}`;
      const existing = store.get(k);
      if (!existing)
        return {
          exitCode: 1,
          stdout: "",
          stderr: `Error from server (NotFound): configmaps "${name}" not found`,
        };
      const uid = (JSON.parse(opts.input ?? "{}") as { preconditions?: { uid?: string } }).preconditions?.uid;
      // Every object's UID is `uid-{name}` here.
      if (uid && uid !== `uid-${name}`) {
        return {
          exitCode: 1,
          stdout: "",
          stderr: `Error from server (Conflict): Operation cannot be fulfilled on ConfigMap "${name}": the UID in the precondition (${uid}) does not match the UID in record (uid-${name}). The object might have been deleted and then recreated`,
        };
      }
      store.delete(k);
      return { exitCode: 0, stdout: `{"kind":"Status","status":"Success"}`, stderr: "" };
    }
    const applied: KubeObject[] = [];
    const errors: string[] = [];
    for (const d of docs(opts.input)) {
      if (d.metadata.name.startsWith("bad-")) {
        errors.push(
          `Error from server (Invalid): ${d.kind} "${d.metadata.name}" is invalid: spec: Required value`,
        );
        continue;
      }
      const old = store.get(key(d));
      const same =
        old &&
        JSON.stringify({ ...old, metadata: { ...old.metadata, resourceVersion: 0 } }) ===
          JSON.stringify({ ...d, metadata: { ...d.metadata, resourceVersion: 0 } });
      const next = same && old ? old : { ...d, metadata: { ...d.metadata, resourceVersion: String(rv++) } };
      store.set(key(d), next);
      applied.push(next);
    }
    // Like kubectl: a failed batch prints nothing useful on stdout and the aggregated errors on stderr.
    if (errors.length > 0)
      return { exitCode: 1, stdout: "", stderr: `Warning: something deprecated\n${errors.join("\n")}` };
    return { exitCode: 0, stdout: out(applied), stderr: "" };
  };
  return { run, calls, store };
}

const cm = (name: string, value = "1"): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "apps" },
  data: { value },
});

describe("createKubectlApplyer", () => {
  it("reports created, configured and unchanged by comparing live and applied objects, in input order", async () => {
    const fake = fakeKubectl([cm("same"), cm("changed")]);
    const applyer = createKubectlApplyer({ run: fake.run, log });
    const result = await applyer.apply([cm("new"), cm("same"), cm("changed", "2")]);
    expect(result.objects.map((o) => `${o.name}:${o.action}`)).toEqual([
      "new:created",
      "same:unchanged",
      "changed:configured",
    ]);
    expect(fake.calls.map((c) => c.args[0])).toEqual(["get", "apply"]);
  });

  it("gives each object its own result and the server's message when the batch fails", async () => {
    const fake = fakeKubectl([cm("same")]);
    const applyer = createKubectlApplyer({ run: fake.run, log });
    const result = await applyer.apply([cm("same"), cm("bad-one"), cm("new")]);
    expect(result.objects).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "same", action: "unchanged" },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        namespace: "apps",
        name: "bad-one",
        action: "failed",
        message: 'Error from server (Invalid): ConfigMap "bad-one" is invalid: spec: Required value',
      },
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "new", action: "created" },
    ]);
  });

  it.each([
    {
      name: "defaults",
      options: {},
      present: ["--server-side", "--field-manager=simple-gitops", "--force-conflicts"],
      absent: ["--kubeconfig"],
    },
    {
      name: "kubeconfig and context",
      options: { kubeconfig: "/k", context: "c" },
      present: ["--kubeconfig", "/k", "--context", "c"],
      absent: [],
    },
  ])("passes the right flags ($name)", async ({ options, present, absent }) => {
    const fake = fakeKubectl();
    await createKubectlApplyer({ run: fake.run, log, ...options }).apply([cm("a")]);
    const apply = fake.calls.find((c) => c.args.includes("apply"))?.args ?? [];
    for (const flag of present) expect(apply).toContain(flag);
    for (const flag of absent) expect(apply).not.toContain(flag);
  });

  it("applies Namespaces and CRDs first and waits for the CRDs to be established", async () => {
    const fake = fakeKubectl();
    const crd: KubeObject = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "widgets.example.com" },
    };
    const widget: KubeObject = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: "apps" },
    };
    const result = await createKubectlApplyer({ run: fake.run, log }).apply([crd, widget]);
    expect(result.objects.map((o) => o.action)).toEqual(["created", "created"]);
    expect(fake.calls.map((c) => c.args.slice(0, 2).join(" "))).toEqual([
      "get --ignore-not-found",
      "apply --server-side",
      "wait --for=condition=Established",
      "get --ignore-not-found",
      "apply --server-side",
    ]);
    expect(fake.calls[2]?.args).toContain(
      "customresourcedefinition.apiextensions.k8s.io/widgets.example.com",
    );
  });

  it("reports deleted, not-found and failed per object", async () => {
    const fake = fakeKubectl([cm("a")]);
    const base = createKubectlApplyer({ run: fake.run, log });
    const failing: RunCommand = async (file, args, opts) =>
      args.some((a) => a.endsWith("/locked"))
        ? {
            exitCode: 1,
            stdout: "",
            stderr: 'Error from server (Forbidden): configmaps "locked" is forbidden',
          }
        : fake.run(file, args, opts);
    const applyer = createKubectlApplyer({ run: failing, log });
    expect(base.name).toBe("kubectl");
    const result = await applyer.delete([
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "a" },
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "gone" },
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "locked" },
      { apiVersion: "example.com/v1", kind: "Widget", namespace: "apps", name: "w" },
    ]);
    expect(result.objects.map((o) => `${o.name}:${o.action}`)).toEqual([
      "a:deleted",
      "gone:not-found",
      "locked:failed",
      "w:not-found",
    ]);
    expect(result.objects[2]?.message).toContain("Forbidden");
    expect(result.objects[3]?.message).toBe("the server has no Widget in example.com/v1");
  });

  it("deletes through `delete --raw` with a UID precondition, and leaves a re-created object as a conflict", async () => {
    const fake = fakeKubectl([cm("a"), cm("b")]);
    const applyer = createKubectlApplyer({ run: fake.run, log, kubeconfig: "/k" });
    const result = await applyer.delete([
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "a", uid: "uid-a" },
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "b", uid: "uid-read-before" },
    ]);
    expect(result.objects.map((o) => `${o.name}:${o.action}`)).toEqual(["a:deleted", "b:conflict"]);
    expect(result.objects[1]?.message).toContain("does not match the UID in record");
    expect(result.objects[0]).not.toHaveProperty("uid");
    expect([...fake.store.keys()]).toEqual(["ConfigMap/apps/b"]);
    const deletes = fake.calls.filter((c) => c.args.includes("delete"));
    expect(deletes[0]?.args).toEqual([
      "--kubeconfig",
      "/k",
      "delete",
      "--raw",
      "/api/v1/namespaces/apps/configmaps/a",
      "-f",
      "-",
    ]);
    expect(JSON.parse(deletes[0]?.input ?? "")).toEqual({
      kind: "DeleteOptions",
      apiVersion: "v1",
      propagationPolicy: "Background",
      preconditions: { uid: "uid-a" },
    });
    // The REST path comes from discovery, read with `kubectl get --raw`.
    const discovered = fake.calls.filter((c) => c.args.includes("get")).map((c) => c.args.slice(-3));
    expect(new Set(discovered.map((args) => args.join(" ")))).toEqual(new Set(["get --raw /api/v1"]));
  });

  it.each([
    { name: "ensureInstalled", call: (a: ReturnType<typeof createKubectlApplyer>) => a.ensureInstalled() },
    { name: "apply", call: (a: ReturnType<typeof createKubectlApplyer>) => a.apply([cm("a")]) },
    {
      name: "delete",
      call: (a: ReturnType<typeof createKubectlApplyer>) =>
        a.delete([{ apiVersion: "v1", kind: "ConfigMap", name: "a" }]),
    },
  ])("is unavailable when kubectl cannot be started ($name)", async ({ call }) => {
    const missing: RunCommand = async () => ({ stdout: "", stderr: "", spawnError: "ENOENT" });
    await expect(call(createKubectlApplyer({ bin: "/nope/kubectl", run: missing, log }))).rejects.toThrow(
      ApplyerUnavailableError,
    );
  });
});

/** commandOf names a kubectl call as its failure messages do: `apply`, `get --raw`, `delete --raw`, … */
const commandOf = (args: readonly string[]) => {
  const verb = args.find((a) => ["get", "apply", "wait", "delete", "version"].includes(a)) ?? "";
  return args.includes("--raw") ? `${verb} --raw` : verb;
};

/** timingOut answers like a run killed at its timeout for the kubectl commands named, and like `run` otherwise. */
const timingOut =
  (run: RunCommand, commands: readonly string[]): RunCommand =>
  async (file, args, opts) =>
    commands.includes(commandOf(args))
      ? { stdout: "", stderr: `timed out after ${opts?.timeoutMs} ms`, timedOut: true }
      : run(file, args, opts);

/** hangingUntilAborted blocks the commands named until the run's signal aborts, then rejects as runProcess does. */
const hangingUntilAborted =
  (run: RunCommand, command: string, started: () => void): RunCommand =>
  async (file, args, opts) => {
    if (commandOf(args) !== command) return run(file, args, opts);
    const signal = opts?.signal;
    if (!signal) throw new Error(`kubectl ${command} was run without a signal`);
    return new Promise<RunResult>((_resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
      started();
    });
  };

const crd: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "widgets.example.com" },
};
const widget: KubeObject = {
  apiVersion: "example.com/v1",
  kind: "Widget",
  metadata: { name: "w", namespace: "apps" },
};
const cmRef = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name });

describe("createKubectlApplyer timeouts and cancellation", () => {
  it.each([
    { name: "default", timeoutMs: undefined, expected: 300_000 },
    { name: "apply_timeout", timeoutMs: 1234, expected: 1234 },
  ])("bounds every kubectl run ($name) and passes the call's signal", async ({ timeoutMs, expected }) => {
    const fake = fakeKubectl([cm("old")]);
    const applyer = createKubectlApplyer({ run: fake.run, log, ...(timeoutMs ? { timeoutMs } : {}) });
    const { signal } = new AbortController();
    await applyer.ensureInstalled();
    await applyer.apply([crd, widget, cm("a")], { signal });
    await applyer.delete([cmRef("old")], { signal });
    expect(new Set(fake.calls.map((c) => commandOf(c.args)))).toEqual(
      new Set(["version", "get", "apply", "wait", "get --raw", "delete --raw"]),
    );
    expect(fake.calls.map((c) => [commandOf(c.args), c.timeoutMs])).toEqual(
      fake.calls.map((c) => [commandOf(c.args), expected]),
    );
    // ensureInstalled is not part of a sync's call and has no signal; everything else has the call's.
    expect(fake.calls.filter((c) => c.signal !== signal).map((c) => commandOf(c.args))).toEqual(["version"]);
    // kubectl wait keeps its own --timeout as well.
    expect(fake.calls.find((c) => commandOf(c.args) === "wait")?.args).toContain("--timeout=60s");
  });

  it.each([
    "get",
    "apply",
  ])("fails every object, naming the timeout and the command, when kubectl %s is killed, and sends nothing one by one", async (command) => {
    const fake = fakeKubectl([cm("a")]);
    const ran: string[] = [];
    const run: RunCommand = (file, args, opts) => {
      ran.push(commandOf(args));
      return timingOut(fake.run, [command])(file, args, opts);
    };
    const applyer = createKubectlApplyer({ run, log, timeoutMs: 2000 });
    const result = await applyer.apply([cm("a", "2"), cm("b")]);
    const message = `kubectl ${command} did not finish within 2 s and was killed`;
    expect(result.objects).toEqual([
      { ...cmRef("a"), action: "failed", message },
      { ...cmRef("b"), action: "failed", message },
    ]);
    // The killed batch is not re-sent one object per call, which would only hang again.
    expect(ran).toEqual(command === "get" ? ["get"] : ["get", "apply"]);
    expect(fake.store.get("ConfigMap/apps/a")?.data).toEqual({ value: "1" });
  });

  it("fails one object whose own apply is killed, when the batch had failed for another reason", async () => {
    const fake = fakeKubectl();
    let applies = 0;
    // The batch is rejected (it holds a bad object); then the one-per-call apply of `slow` hangs and is killed.
    const run: RunCommand = async (file, args, opts) => {
      if (commandOf(args) === "apply" && ++applies > 1 && opts?.input?.includes('"slow"'))
        return { stdout: "", stderr: "timed out after 1500 ms", timedOut: true };
      return fake.run(file, args, opts);
    };
    const result = await createKubectlApplyer({ run, log, timeoutMs: 1500 }).apply([
      cm("slow"),
      cm("bad-one"),
      cm("fine"),
    ]);
    expect(result.objects.map((o) => [o.name, o.action, o.message])).toEqual([
      ["slow", "failed", "kubectl apply did not finish within 1500 ms and was killed"],
      [
        "bad-one",
        "failed",
        'Error from server (Invalid): ConfigMap "bad-one" is invalid: spec: Required value',
      ],
      ["fine", "created", undefined],
    ]);
  });

  it("goes on to the custom resources when kubectl wait is killed, as when it times out itself", async () => {
    const fake = fakeKubectl();
    const result = await createKubectlApplyer({ run: timingOut(fake.run, ["wait"]), log }).apply([
      crd,
      widget,
    ]);
    expect(result.objects.map((o) => o.action)).toEqual(["created", "created"]);
  });

  it.each([
    { command: "delete --raw", message: "kubectl delete --raw did not finish within 2 s and was killed" },
    {
      command: "get --raw",
      message:
        "ConfigMap apps/a: discovery of v1: kubectl get --raw did not finish within 2 s and was killed",
    },
  ])("fails a delete, naming the timeout, when kubectl $command is killed", async ({ command, message }) => {
    const fake = fakeKubectl([cm("a")]);
    const applyer = createKubectlApplyer({ run: timingOut(fake.run, [command]), log, timeoutMs: 2000 });
    const result = await applyer.delete([cmRef("a")]);
    expect(result.objects).toEqual([{ ...cmRef("a"), action: "failed", message }]);
    expect(fake.store.has("ConfigMap/apps/a")).toBe(true);
  });

  it("is unavailable, naming the timeout, when kubectl version is killed", async () => {
    const applyer = createKubectlApplyer({
      run: timingOut(fakeKubectl().run, ["version"]),
      log,
      timeoutMs: 5000,
    });
    await expect(applyer.ensureInstalled()).rejects.toThrow(
      "applyer kubectl is unavailable: kubectl version failed: kubectl version did not finish within 5 s and was killed",
    );
  });

  it.each([
    {
      command: "apply",
      call: (a: ReturnType<typeof createKubectlApplyer>, signal: AbortSignal) =>
        a.apply([cm("a")], { signal }),
    },
    {
      command: "get --raw",
      call: (a: ReturnType<typeof createKubectlApplyer>, signal: AbortSignal) =>
        a.delete([cmRef("a")], { signal }),
    },
    {
      command: "delete --raw",
      call: (a: ReturnType<typeof createKubectlApplyer>, signal: AbortSignal) =>
        a.delete([cmRef("a")], { signal }),
    },
  ])("rejects with the signal's reason, reporting nothing, when aborted during kubectl $command", async ({
    command,
    call,
  }) => {
    const fake = fakeKubectl([cm("a")]);
    const controller = new AbortController();
    const reason = new Error("leadership lost");
    const run = hangingUntilAborted(fake.run, command, () => controller.abort(reason));
    await expect(call(createKubectlApplyer({ run, log }), controller.signal)).rejects.toBe(reason);
  });

  it("does not run kubectl at all when the signal is already aborted", async () => {
    const fake = fakeKubectl([cm("a")]);
    const applyer = createKubectlApplyer({ run: fake.run, log });
    const reason = new Error("shutting down");
    await expect(applyer.apply([cm("a")], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(applyer.delete([cmRef("a")], { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(fake.calls).toEqual([]);
  });

  it("kills a real kubectl that hangs at its timeout, with what it started, and fails the objects", async () => {
    const dir = await mkdtemp(join(tmpdir(), "kubectl-hang-"));
    try {
      const pids = join(dir, "pids");
      const bin = join(dir, "kubectl");
      // A stand-in: `get` finds nothing; `apply` starts a child that does not hold its stdio, then hangs.
      await writeFile(
        bin,
        `#!/bin/sh
case " $* " in
  *" get "*) cat >/dev/null; echo '{"kind":"List","items":[]}' ;;
  *" apply "*) sleep 60 >/dev/null 2>&1 & echo $$ $! > '${pids}'; sleep 60 ;;
esac
`,
      );
      await chmod(bin, 0o755);
      const started = Date.now();
      const result = await createKubectlApplyer({ bin, run: runProcess, log, timeoutMs: 500 }).apply([
        cm("a"),
      ]);
      const took = Date.now() - started;
      expect(result.objects).toEqual([
        {
          ...cmRef("a"),
          action: "failed",
          message: "kubectl apply did not finish within 500 ms and was killed",
        },
      ]);
      expect(took).toBeLessThan(500 + KILL_GRACE_MS);
      const group = (await readFile(pids, "utf8")).trim().split(" ").map(Number);
      expect(group).toHaveLength(2);
      expect(await stillRunning(group)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("kubectl's environment", () => {
  it("starts kubectl with PATH, HOME, KUBECONFIG, in-cluster config and proxies only: no token or secret", async () => {
    const work = await mkdtemp(join(tmpdir(), "kubectl-env-"));
    try {
      // A stand-in kubectl, started for real through the production runner, that records its environment.
      const bin = join(work, "kubectl");
      await writeFile(bin, `#!/bin/sh\nenv > '${work}/env'\necho '{}'\n`);
      await chmod(bin, 0o755);
      const parent = {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: "/home/gitops",
        KUBECONFIG: "/etc/kube/config",
        KUBERNETES_SERVICE_HOST: "10.96.0.1",
        KUBERNETES_SERVICE_PORT: "443",
        HTTPS_PROXY: "http://proxy:3128",
        http_proxy: "http://proxy:3128",
        NO_PROXY: "10.0.0.0/8",
        GITHUB_TOKEN: "ghp_secret",
        WEBHOOK_SECRET: "whsec",
        GITOPS_SYNC_TOKEN: "sync-token",
        GITOPS_READ_TOKEN: "read-token",
        GITOPS_WEBHOOK_URL: "https://hooks.slack.com/services/T/B/X",
        GITOPS_HMAC_SECRET: "hmac",
      };
      await createKubectlApplyer({ bin, env: parent, log }).ensureInstalled();
      const seen = new Map(
        (await readFile(join(work, "env"), "utf8"))
          .split("\n")
          .filter((line) => line.includes("="))
          .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
      );
      for (const name of [
        "PATH",
        "HOME",
        "KUBECONFIG",
        "KUBERNETES_SERVICE_HOST",
        "KUBERNETES_SERVICE_PORT",
        "HTTPS_PROXY",
        "http_proxy",
        "NO_PROXY",
      ] as const)
        expect(seen.get(name), name).toBe(parent[name]);
      for (const secret of ["GITHUB_TOKEN", "WEBHOOK_SECRET", "GITOPS_SYNC_TOKEN", "GITOPS_READ_TOKEN"])
        expect(seen.has(secret), secret).toBe(false);
      const text = [...seen.values()].join("\n");
      for (const value of ["ghp_secret", "whsec", "sync-token", "read-token", "hooks.slack.com", "hmac"])
        expect(text).not.toContain(value);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
