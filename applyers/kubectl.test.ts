import pino from "pino";
import { describe, expect, it } from "vitest";
import type { KubeObject } from "../kube/objects.js";
import { ApplyerUnavailableError } from "./applyer.js";
import { createKubectlApplyer } from "./kubectl.js";
import type { RunCommand, RunResult } from "./run.js";

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
  const calls: { args: string[]; input?: string }[] = [];
  const docs = (input = "") =>
    input
      .split("\n")
      .filter((l) => l !== "")
      .map((d) => JSON.parse(d) as KubeObject);
  const out = (items: KubeObject[]) =>
    items.length === 1 ? JSON.stringify(items[0]) : JSON.stringify({ kind: "List", items });
  const run: RunCommand = async (_file, args, opts = {}): Promise<RunResult> => {
    calls.push({ args: [...args], input: opts.input });
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
