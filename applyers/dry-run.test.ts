import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { KubeConfigError } from "../kube/errors.js";
import { lazyKubeRequest } from "../kube/kubeconfig.js";
import type { KubeObject } from "../kube/objects.js";
import { localKubeRequest } from "../test/local-kube-request.js";
import { createDryRunApplyer } from "./dry-run.js";
import { createServerDiff } from "./server-diff.js";

const objects: KubeObject[] = [
  { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "web", namespace: "shop" }, data: { a: "1" } },
  { apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w", namespace: "shop" } },
];
const PRINTED =
  "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  namespace: shop\ndata:\n  a: '1'\n" +
  "---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: shop\n";

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** apiserver listens on a real socket; `answer` handles every request, or none when it never answers. */
async function apiserver(answer?: (path: string) => [number, unknown]) {
  const server = createServer((req, res) => {
    req.resume();
    if (!answer) return;
    const [status, body] = answer((req.url ?? "").split("?")[0] ?? "");
    res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return localKubeRequest(server);
}

async function dryRun(options: Parameters<typeof createDryRunApplyer>[1], signal?: AbortSignal) {
  let printed = "";
  const applyer = createDryRunApplyer((text) => {
    printed += text;
  }, options);
  const result = await applyer.apply(objects, signal ? { signal } : {});
  return { printed, said: result.objects.map((o) => [o.name, o.action, o.message]) };
}

// What the server answers for objects it can compare (created, configured, unchanged) is checked against a real
// apiserver in test/e2e/dry-run.e2e.test.ts.
describe("the dry-run applyer", () => {
  const cases: {
    name: string;
    compare: () => Promise<Parameters<typeof createDryRunApplyer>[1]>;
    said: [string, string, string][];
  }[] = [
    {
      name: "without a cluster to ask, it says it would apply, not what the server would do",
      compare: async () => ({}),
      said: [
        ["web", "would-apply", "dry run: not compared with a cluster"],
        ["w", "would-apply", "dry run: not compared with a cluster"],
      ],
    },
    {
      name: "without a kubeconfig, it says so",
      compare: async () => ({
        compare: createServerDiff({
          request: lazyKubeRequest(() => {
            throw new KubeConfigError("no kubeconfig found");
          }),
        }),
      }),
      said: [
        ["web", "would-apply", "dry run: no cluster to compare with (no kubeconfig)"],
        ["w", "would-apply", "dry run: no cluster to compare with (no kubeconfig)"],
      ],
    },
    {
      name: "with a cluster, the server's answer, and why for an object it could not compare",
      compare: async () => ({
        compare: createServerDiff({
          request: await apiserver((path) => {
            if (path === "/api/v1")
              return [200, { resources: [{ name: "configmaps", namespaced: true, kind: "ConfigMap" }] }];
            if (path.startsWith("/apis/")) return [404, { kind: "Status", message: "not found" }];
            if (path === "/api/v1/namespaces/shop/configmaps/web")
              return [404, { kind: "Status", reason: "NotFound" }];
            return [500, { kind: "Status", message: "unexpected" }];
          }),
        }),
      }),
      said: [
        ["web", "would-apply", expect.stringMatching(/^dry run: not compared: /) as never],
        [
          "w",
          "would-apply",
          "dry run: not compared: the server has no Widget in example.com/v1: is its CustomResourceDefinition installed?",
        ],
      ],
    },
    {
      name: "a cluster that does not answer in time",
      compare: async () => ({
        compare: createServerDiff({ request: await apiserver() }),
        compareTimeoutMs: 20,
      }),
      said: [
        ["web", "would-apply", "dry run: the cluster did not answer in time"],
        ["w", "would-apply", "dry run: the cluster did not answer in time"],
      ],
    },
  ];
  it.each(cases)("$name; it prints the objects all the same", async ({ compare, said }) => {
    const run = await dryRun(await compare());
    expect(run.said).toEqual(said);
    expect(run.printed).toBe(PRINTED);
  });

  it("stops when the caller aborts", async () => {
    const controller = new AbortController();
    controller.abort(new Error("lost the Lease"));
    const compare = createServerDiff({ request: await apiserver() });
    await expect(dryRun({ compare }, controller.signal)).rejects.toThrow("lost the Lease");
  });
});
