import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { KubeRequest } from "../kube/http.js";
import type { KubeObject } from "../kube/objects.js";
import { localKubeRequest } from "../test/local-kube-request.js";
import { createServerDiff } from "./server-diff.js";

// A minimal apiserver on a real socket: discovery for v1, GET, and apply-patch answered as a dry run (the body
// merged over the stored object, never stored). The real server is exercised in test/e2e/diff.e2e.test.ts.
let server: Server;
let request: KubeRequest;
let store: Map<string, KubeObject>;
let seen: { method: string; url: string; contentType?: string; body?: KubeObject }[];
let hang: Set<string>;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => {
      const body = text ? (JSON.parse(text) as KubeObject) : undefined;
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        contentType: req.headers["content-type"],
        body,
      });
      const send = (status: number, answer: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(answer));
      const path = (req.url ?? "").split("?")[0] ?? "";
      if (hang.has(path)) return;
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
        return existing ? send(200, existing) : send(404, { kind: "Status", reason: "NotFound" });
      if (!body) return send(400, { kind: "Status", message: "no body" });
      const namespace = path.match(/^\/api\/v1\/namespaces\/([^/]+)\//)?.[1];
      if (namespace && !store.has(`/api/v1/namespaces/${namespace}`)) {
        return send(404, {
          kind: "Status",
          reason: "NotFound",
          message: `namespaces "${namespace}" not found`,
          details: { name: namespace, kind: "namespaces" },
        });
      }
      if (body.metadata.name.startsWith("bad-"))
        return send(422, { kind: "Status", message: `ConfigMap "${body.metadata.name}" is invalid` });
      const merged = {
        ...existing,
        ...body,
        metadata: { ...existing?.metadata, ...body.metadata, resourceVersion: "99", managedFields: [{}] },
      };
      return send(existing ? 200 : 201, merged);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  request = localKubeRequest(server);
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  seen = [];
  hang = new Set();
  store = new Map<string, KubeObject>([
    ["/api/v1/namespaces/shop", { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop" } }],
    [
      "/api/v1/namespaces/shop/configmaps/same",
      configMap("same", "1", { resourceVersion: "5", managedFields: [{ manager: "other" }] }),
    ],
    ["/api/v1/namespaces/shop/configmaps/changed", configMap("changed", "1", { resourceVersion: "6" })],
  ]);
});

function configMap(
  name: string,
  value: string,
  metadata: Record<string, unknown> = {},
  namespace = "shop",
): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace, ...metadata }, data: { value } };
}

describe("createServerDiff", () => {
  it("reads each object and compares it with a dry-run server-side apply, writing nothing", async () => {
    const results = await createServerDiff({ request }).diff([
      configMap("new", "1"),
      configMap("same", "1"),
      configMap("changed", "2"),
    ]);
    expect(results.map(({ name, action }) => [name, action])).toEqual([
      ["new", "created"],
      ["same", "unchanged"],
      ["changed", "configured"],
    ]);
    const changed = results[2];
    expect([changed?.live?.data, changed?.merged?.data]).toEqual([{ value: "1" }, { value: "2" }]);
    expect(results[0]?.live).toBeUndefined();
    expect(results[0]?.merged?.data).toEqual({ value: "1" });
    const writes = seen.filter((call) => call.method !== "GET");
    expect(writes.length).toBe(3);
    for (const write of writes) {
      expect(write.method).toBe("PATCH");
      expect(write.url).toMatch(/\?fieldManager=simple-gitops&force=true&fieldValidation=Strict&dryRun=All$/);
      expect(write.contentType).toBe("application/apply-patch+yaml");
    }
  });

  it("sends a cluster-scoped object without a namespace, to its cluster-scoped path", async () => {
    const [result] = await createServerDiff({ request }).diff([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", namespace: "wrong" } },
    ]);
    expect(result?.action).toBe("unchanged");
    const patch = seen.find((call) => call.method === "PATCH");
    expect(patch?.url.split("?")[0]).toBe("/api/v1/namespaces/shop");
    expect(patch?.body?.metadata.namespace).toBeUndefined();
  });

  it.each([
    {
      name: "a kind the server does not serve, naming the CRD of the set that defines it",
      objects: [
        {
          apiVersion: "apiextensions.k8s.io/v1",
          kind: "CustomResourceDefinition",
          metadata: { name: "widgets.example.com" },
          spec: { group: "example.com", names: { kind: "Widget" } },
        },
        { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "shop" } },
      ],
      want: "the server has no Widget in example.com/v1: its CustomResourceDefinition widgets.example.com is in the same set and not applied yet",
      crd: "widgets.example.com",
    },
    {
      name: "a kind the server does not serve, with no CRD in the set",
      objects: [{ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "shop" } }],
      want: "the server has no Widget in example.com/v1: is its CustomResourceDefinition installed?",
    },
    {
      name: "a dry run the server refuses",
      objects: [configMap("bad-one", "1")],
      want: 'ConfigMap "bad-one" is invalid',
    },
    {
      name: "a namespace that does not exist and is not in the set",
      objects: [configMap("x", "1", {}, "elsewhere")],
      want: 'namespaces "elsewhere" not found',
    },
  ])("fails $name with the reason", async ({
    objects,
    want,
    crd,
  }: {
    objects: KubeObject[];
    want: string;
    crd?: string;
  }) => {
    const results = await createServerDiff({ request }).diff(objects);
    const last = results[results.length - 1];
    expect(last?.action).toBe("failed");
    expect(last?.message).toContain(want);
    // Only a kind a CRD of the same set defines is one a sync would still land.
    expect(last?.crdInSet).toBe(crd);
  });

  it("shows an object whose namespace the same set creates as created, as sent", async () => {
    const object = configMap("x", "1", {}, "fresh");
    const results = await createServerDiff({ request }).diff([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "fresh" } },
      object,
    ]);
    expect(results.map((result) => result.action)).toEqual(["created", "created"]);
    expect(results[1]?.merged).toEqual(object);
    expect(results[1]?.message).toContain("namespace fresh is created by the same set");
  });

  it("fails an object whose apiserver call takes too long, and keeps comparing the others", async () => {
    hang.add("/api/v1/namespaces/shop/configmaps/slow");
    const results = await createServerDiff({ request, requestTimeoutMs: 200 }).diff([
      configMap("slow", "1"),
      configMap("same", "1"),
    ]);
    expect(results.map((result) => result.action)).toEqual(["failed", "unchanged"]);
    expect(results[0]?.message).toBe(
      "GET /api/v1/namespaces/shop/configmaps/slow: the apiserver did not answer within 200 ms",
    );
  });

  it("rejects with the caller's reason when the caller aborts", async () => {
    hang.add("/api/v1/namespaces/shop/configmaps/slow");
    const controller = new AbortController();
    const diff = createServerDiff({ request }).diff([configMap("slow", "1")], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stopping")), 50);
    await expect(diff).rejects.toThrow("stopping");
  });

  it("keeps the input order whatever order the answers come in", async () => {
    const names = Array.from({ length: 9 }, (_, index) => `cm-${index}`);
    const results = await createServerDiff({ request, concurrency: 3 }).diff(
      names.map((name) => configMap(name, "1")),
    );
    expect(results.map((result) => result.name)).toEqual(names);
  });
});
