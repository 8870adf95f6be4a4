import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KubeConfigError } from "../kube/errors.js";
import { cli, SYNC_TOKEN } from "../test/cli/cli-harness.js";
import { localKubeRequest } from "../test/local-kube-request.js";

// A stand-in for the apiserver's service proxy: it records what reached it and answers as the test says. What a real
// apiserver does with the request (Authorization dropped, other headers passed on, the controller's answer relayed)
// is proven on the test cluster in test/e2e/cli.e2e.test.ts.
let apiserver: Server;
let seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[];
let answer: { status: number; body: unknown };
beforeAll(async () => {
  apiserver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => apiserver.listen(0, "127.0.0.1", resolve));
});
afterAll(async () => {
  await new Promise((resolve) => apiserver.close(resolve));
});
beforeEach(() => {
  seen = [];
  answer = { status: 200, body: { count: 0, repos: [], timestamp: "2025-09-01T11:46:00Z" } };
});

const kube = () => localKubeRequest(apiserver);
const status = (code: number, message: string) => ({
  kind: "Status",
  apiVersion: "v1",
  status: "Failure",
  message,
  code,
});

describe("--kube-namespace", () => {
  it("reads through the service proxy path, the read token beside the kubeconfig's credentials", async () => {
    const run = await cli(["get", "repos", "--kube-namespace", "ops"], {
      kube,
      env: { GITOPS_READ_TOKEN: "read-xyz" },
    });
    expect(run.code).toBe(0);
    expect(seen.map((request) => [request.method, request.url])).toEqual([
      ["GET", "/api/v1/namespaces/ops/services/http:gitops-controller:8080/proxy/v1/gitops/repos"],
    ]);
    expect(seen[0]?.headers.authorization).toBe("Bearer t");
    expect(seen[0]?.headers["x-simple-gitops-token"]).toBe("read-xyz");
  });

  it("writes with the sync token and the actor in headers the proxy passes on", async () => {
    answer = { status: 200, body: { service: "web", changed: true, suspended: null, previous: null } };
    const run = await cli(
      ["resume", "web", "--kube-namespace", "ops", "--kube-service", "ctl", "--kube-port", "http"],
      { kube, env: { GITOPS_SYNC_TOKEN: SYNC_TOKEN } },
    );
    expect(run.code).toBe(0);
    expect(seen[0]?.url).toBe(
      "/api/v1/namespaces/ops/services/http:ctl:http/proxy/v1/gitops/services/web/resume",
    );
    expect(seen[0]?.headers["x-simple-gitops-token"]).toBe(SYNC_TOKEN);
    expect(seen[0]?.headers["x-simple-gitops-actor"]).toBe("tester");
    expect(JSON.parse(seen[0]?.body ?? "")).toEqual({});
  });

  it.each([
    {
      name: "no ready endpoint",
      answer: status(503, 'no endpoints available for service "http:gitops-controller:8080"'),
      code: 1,
      says: "no ready controller pod behind it: kubectl -n ops get endpoints gitops-controller",
    },
    {
      name: "no such Service",
      answer: status(404, 'services "gitops-controller" not found'),
      code: 2,
      says: "check --kube-namespace, --kube-service and --kube-port",
    },
    {
      name: "no right to proxy",
      answer: status(403, 'services "gitops-controller" is forbidden'),
      code: 2,
      says: "the kubeconfig's user needs get (and create, to write) on services/proxy in namespace ops",
    },
  ])("says what to check when the apiserver answers itself: $name", async (row) => {
    answer = { status: row.answer.code, body: row.answer };
    const run = await cli(["get", "repos", "--kube-namespace", "ops"], { kube });
    expect(run.code).toBe(row.code);
    expect(run.stderr).toContain(`the apiserver answered ${row.answer.code} for the controller's Service`);
    expect(run.stderr).toContain(row.answer.message);
    expect(run.stderr).toContain(row.says);
  });

  it("relays the controller's own refusal as the controller's", async () => {
    answer = { status: 404, body: { error: "not_found", message: 'unknown service "nope" (known: web)' } };
    const run = await cli(["get", "services", "nope", "--kube-namespace", "ops"], { kube });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'the controller answered 404 not_found: unknown service "nope" (known: web)',
    );
  });

  it("exits 2 saying the kubeconfig is missing when there is none", async () => {
    const run = await cli(["get", "repos", "--kube-namespace", "ops"], {
      kube: () => async () => {
        throw new KubeConfigError("no usable kubeconfig: $KUBECONFIG is not set");
      },
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--kube-namespace needs a kubeconfig: no usable kubeconfig");
  });
});
