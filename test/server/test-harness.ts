import pino from "pino";
import { parseConfig } from "../../controller/config/load.js";
import { Secret } from "../../controller/config/secret.js";
import type { Config } from "../../controller/config/types.js";
import type { AuditEvent, ControllerState } from "../../controller/record/state/state.js";
import { createMetrics } from "../../controller/report/metrics.js";
import type { ServerOptions, SyncRequest } from "../../controller/report/server/options.js";
import { createServer, type GitOpsServer } from "../../controller/report/server/server.js";

/** TEST_NOW is the fixed time the test servers' clock returns. */
export const TEST_NOW = new Date("2025-09-01T11:46:00.123Z");

const TEST_CONFIG_YAML = `
github_configs:
  nokube: { repo_owner: AI-Infra-Team, repo_name: nokube, branch: main }
  hello: { repo_owner: Codertocat, repo_name: Hello-World, branch: master }
services:
  - { name: etcd, github: nokube, k8s_yaml_dir: examples/etcd }
  - { name: monitoring, github: nokube, k8s_yaml_dir: examples/monitoring }
  - { name: hello, github: hello, k8s_yaml_dir: deploy }
poll_interval: 60
`;

/**
 * testConfig is the seed's example (two services of AI-Infra-Team/nokube) plus a repo nobody deployed yet, loaded
 * through the real parser so it always has every field the controller fills in.
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  const parsed = parseConfig(TEST_CONFIG_YAML, "test-config.yaml");
  const first = parsed.repos[0];
  if (!first) throw new Error("test config has no repo");
  // The parser drops repos no service uses; the status API must still cope with one, so add it by hand.
  const idle = {
    ...first,
    key: "idle",
    owner: "acme",
    name: "idle",
    htmlUrl: "https://github.com/acme/idle",
  };
  return { ...parsed, repos: [...parsed.repos, idle], ...overrides };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect(), not by the type checker.
export type Json = any;

/** json reads a response body as JSON for assertions. */
export async function json(res: Response): Promise<Json> {
  return res.json();
}

/** testEvent builds one audit event. */
export function testEvent(n: number, overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: `ev-${n}`,
    time: new Date(Date.UTC(2025, 8, 1, 11, 0, n)).toISOString(),
    trigger: "poll",
    kind: "apply",
    service: "etcd",
    repo: "AI-Infra-Team/nokube@main",
    commit: `c${n}`,
    result: "succeeded",
    objects: [],
    durationMs: 10,
    ...overrides,
  };
}

/** testState has etcd deployed, monitoring failed after an older deploy, and hello never deployed. */
export function testState(): ControllerState {
  return {
    version: 1,
    services: {
      etcd: {
        commit: "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2",
        files: { "examples/etcd/statefulset.yaml": "1111", "examples/etcd/service.yaml": "2222" },
        objects: [
          {
            apiVersion: "apps/v1",
            kind: "StatefulSet",
            namespace: "default",
            name: "etcd",
            action: "configured",
          },
        ],
        inventory: [{ apiVersion: "apps/v1", kind: "StatefulSet", namespace: "default", name: "etcd" }],
        lastDeployTime: "2025-09-01T11:45:02.456Z",
        failures: 0,
      },
      monitoring: {
        commit: "0000000000000000000000000000000000000old",
        files: {},
        objects: [],
        inventory: [],
        lastDeployTime: "2025-08-31T09:00:00.000Z",
        lastError: {
          message: 'Deployment "prometheus" is invalid: <script>alert(1)</script>',
          code: "E_APPLY",
          at: "2025-09-01T11:45:30.000Z",
          commit: "a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2",
        },
        failures: 2,
        retryAfter: "2025-09-01T11:47:30.000Z",
      },
    },
    // etcd landed at a1b2…, monitoring did not: the repository's newest fully landed commit is the older one.
    repos: {
      nokube: { commit: "0000000000000000000000000000000000000old", time: "2025-08-31T09:00:00.000Z" },
    },
    events: [
      testEvent(1),
      testEvent(2, { service: "monitoring", result: "failed", error: "apply failed: <b>bad</b>" }),
      testEvent(3),
    ],
  };
}

/** RunningServer is a test server listening on a free loopback port, with what it was asked to do. */
export interface RunningServer {
  readonly server: GitOpsServer;
  readonly url: string;
  readonly syncRequests: SyncRequest[];
  state: ControllerState;
}

/** startTestServer builds and starts a server with test defaults; `overrides` replace any option. */
export async function startTestServer(overrides: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const running = { syncRequests: [] as SyncRequest[], state: testState() } as RunningServer;
  const server = createServer({
    config: testConfig(),
    getState: () => running.state,
    requestSync: (request) => {
      running.syncRequests.push(request);
      return { accepted: true };
    },
    readiness: () => ({ configLoaded: true, stateStoreReachable: true, firstSyncStarted: true }),
    metrics: createMetrics({ defaultMetrics: false }).registry,
    webhookSecrets: (key) => (key === "hello" ? "hello-secret" : undefined),
    syncToken: new Secret("sync-token-123"),
    clock: () => TEST_NOW,
    log: pino({ level: "silent" }),
    ...overrides,
  });
  const { url } = await server.listen("127.0.0.1", 0);
  return Object.assign(running, { server, url });
}
