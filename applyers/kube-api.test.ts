import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { KubeRequest } from "../kube/http.js";
import { lazyKubeRequest, loadDefaultKubeConfig } from "../kube/kubeconfig.js";
import type { KubeObject } from "../kube/objects.js";
import { localKubeRequest } from "../test/local-kube-request.js";
import { createKubeApiApplyer } from "./kube-api.js";

// A minimal apiserver on a real socket: discovery for v1, apply-patch with resourceVersions, GET and DELETE.
// The real thing is exercised in test/e2e/applyers.e2e.test.ts.
let server: Server;
let request: KubeRequest;
let store: Map<string, KubeObject>;
let seen: { method: string; url: string; contentType?: string; body?: unknown }[];
let rv = 1;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        contentType: req.headers["content-type"],
        ...(req.method === "DELETE" && text ? { body: JSON.parse(text) as unknown } : {}),
      });
      const send = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      const path = (req.url ?? "").split("?")[0] ?? "";
      if (path === "/api/v1") {
        return send(200, {
          resources: [
            { name: "configmaps", namespaced: true, kind: "ConfigMap" },
            { name: "namespaces", namespaced: false, kind: "Namespace" },
          ],
        });
      }
      if (path.startsWith("/apis/"))
        return send(404, { kind: "Status", message: "the server could not find the requested resource" });
      const existing = store.get(path);
      if (req.method === "GET")
        return existing ? send(200, existing) : send(404, { kind: "Status", message: "not found" });
      if (req.method === "DELETE") {
        if (!existing) return send(404, { kind: "Status", message: "not found" });
        const uid = (JSON.parse(text || "{}") as { preconditions?: { uid?: string } }).preconditions?.uid;
        if (uid && uid !== existing.metadata.uid) {
          return send(409, {
            kind: "Status",
            reason: "Conflict",
            message: `Operation cannot be fulfilled on ConfigMap "${existing.metadata.name}": the UID in the precondition (${uid}) does not match the UID in record (${existing.metadata.uid}). The object might have been deleted and then recreated`,
          });
        }
        store.delete(path);
        return send(200, { kind: "Status", status: "Success" });
      }
      const body = JSON.parse(text) as KubeObject;
      if (body.metadata.name.startsWith("bad-")) {
        return send(422, {
          kind: "Status",
          message: `ConfigMap "${body.metadata.name}" is invalid: data: Invalid value`,
        });
      }
      const same = existing && JSON.stringify(existing.data) === JSON.stringify(body.data);
      const next = same
        ? existing
        : {
            ...body,
            metadata: {
              ...body.metadata,
              uid: existing?.metadata.uid ?? `uid-${body.metadata.name}-${rv}`,
              resourceVersion: String(rv++),
            },
          };
      store.set(path, next);
      return send(existing ? 200 : 201, next);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  request = localKubeRequest(server);
});
afterAll(() => {
  server.close();
});
beforeEach(() => {
  store = new Map();
  seen = [];
});

const log = pino({ level: "silent" });
const cm = (name: string, value = "1"): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "apps" },
  data: { value },
});

describe("createKubeApiApplyer", () => {
  it("reports created, then unchanged, then configured", async () => {
    const applyer = createKubeApiApplyer({ request, log });
    expect((await applyer.apply([cm("a")])).objects[0]?.action).toBe("created");
    expect((await applyer.apply([cm("a")])).objects[0]?.action).toBe("unchanged");
    expect((await applyer.apply([cm("a", "2")])).objects[0]?.action).toBe("configured");
    const patch = seen.find((s) => s.method === "PATCH");
    expect(patch).toEqual({
      method: "PATCH",
      url: "/api/v1/namespaces/apps/configmaps/a?fieldManager=simple-gitops&force=true&fieldValidation=Strict",
      contentType: "application/apply-patch+yaml",
    });
  });

  it("forces conflicts and validates fields strictly, as kubectl does", async () => {
    await createKubeApiApplyer({ request, log }).apply([cm("a")]);
    expect(seen.find((s) => s.method === "PATCH")?.url).toBe(
      "/api/v1/namespaces/apps/configmaps/a?fieldManager=simple-gitops&force=true&fieldValidation=Strict",
    );
  });

  it("fails an object with the server's message and still applies the rest", async () => {
    const result = await createKubeApiApplyer({ request, log }).apply([cm("bad-x"), cm("b")]);
    expect(result.objects).toEqual([
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        namespace: "apps",
        name: "bad-x",
        action: "failed",
        message: 'ConfigMap "bad-x" is invalid: data: Invalid value',
      },
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "b", action: "created" },
    ]);
  });

  it.each([
    {
      name: "unknown group",
      object: { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "apps" } },
      message: "the server has no Widget in example.com/v1",
    },
    {
      name: "unknown kind",
      object: { apiVersion: "v1", kind: "Gizmo", metadata: { name: "g" } },
      message: "the server has no Gizmo in v1",
    },
  ])("fails an object of an $name", async ({ object, message }) => {
    const result = await createKubeApiApplyer({ request, log }).apply([object]);
    expect(result.objects[0]).toMatchObject({ action: "failed", message });
  });

  it("sends cluster-scoped objects without a namespace", async () => {
    await createKubeApiApplyer({ request, log }).apply([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "team", namespace: "oops" } },
    ]);
    expect(seen.find((s) => s.method === "PATCH")?.url).toBe(
      "/api/v1/namespaces/team?fieldManager=simple-gitops&force=true&fieldValidation=Strict",
    );
  });

  it("reports deleted and not-found", async () => {
    const applyer = createKubeApiApplyer({ request, log });
    await applyer.apply([cm("a")]);
    const result = await applyer.delete([
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "a" },
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "gone" },
    ]);
    expect(result.objects.map((o) => `${o.action}${o.message ? `: ${o.message}` : ""}`)).toEqual([
      "deleted",
      "not-found",
    ]);
    expect(seen.find((s) => s.method === "DELETE")?.body).toEqual({
      kind: "DeleteOptions",
      apiVersion: "v1",
      propagationPolicy: "Background",
    });
  });

  it("deletes with a UID precondition, and leaves a re-created object in place as a conflict", async () => {
    const applyer = createKubeApiApplyer({ request, log });
    await applyer.apply([cm("a"), cm("b")]);
    const uidOf = (name: string) => store.get(`/api/v1/namespaces/apps/configmaps/${name}`)?.metadata.uid;
    const uidA = String(uidOf("a"));
    const result = await applyer.delete([
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "a", uid: uidA },
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "b", uid: "uid-read-before" },
    ]);
    expect(result.objects).toEqual([
      { apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name: "a", action: "deleted" },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        namespace: "apps",
        name: "b",
        action: "conflict",
        message: expect.stringContaining("does not match the UID in record") as string,
      },
    ]);
    expect(seen.filter((s) => s.method === "DELETE").map((s) => s.body)).toEqual([
      {
        kind: "DeleteOptions",
        apiVersion: "v1",
        propagationPolicy: "Background",
        preconditions: { uid: uidA },
      },
      {
        kind: "DeleteOptions",
        apiVersion: "v1",
        propagationPolicy: "Background",
        preconditions: { uid: "uid-read-before" },
      },
    ]);
    expect(uidOf("b")).toBeDefined();
  });

  it("is unavailable without a usable kubeconfig", async () => {
    const applyer = createKubeApiApplyer({
      request: lazyKubeRequest(() =>
        // An empty HOME, no $KUBECONFIG, not a pod: nowhere to find a kubeconfig.
        loadDefaultKubeConfig({ env: { HOME: mkdtempSync(join(tmpdir(), "no-kubeconfig-")) } }),
      ),
      log,
    });
    await expect(applyer.ensureInstalled()).rejects.toThrow(
      /applyer api is unavailable: no usable kubeconfig/,
    );
  });
});
