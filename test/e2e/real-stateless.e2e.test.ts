import { cp, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yaml from "js-yaml";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ServiceView } from "../../controller/report/server/views.js";
import { packRelease } from "../../scripts/pack-release.js";
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
import { availableRealNode, onRealNode, requireRealNode } from "./real-node.js";

// The example `web` service (examples/gitops-repo/apps/web) through the stateless bootstrap, on the real node: its
// pods download init.sh and app.tar.gz from the controller's HTTP server, check them against SHA256SUMS, and run
// server.mjs in the node:20-alpine stand-in. Only the placement is added to the example's Deployment.

const EXAMPLE = new URL("../../examples/", import.meta.url).pathname;
const HEALTH_TIMEOUT_S = 45;

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string };
  status: {
    podIP?: string;
    initContainerStatuses?: {
      state: { terminated?: { exitCode: number } };
      lastState: { terminated?: { exitCode: number } };
    }[];
  };
}

/** freePort asks the kernel for a free port on `host`: the controller's URL must be in its config before it starts. */
async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * exampleFiles reads the example service's directory, with the Deployment placed on the real node and its pod
 * template given `annotations`.
 */
async function exampleFiles(annotations: Record<string, string> = {}): Promise<Record<string, string>> {
  const dir = join(EXAMPLE, "gitops-repo/apps/web");
  const files: Record<string, string> = {};
  for (const name of await readdir(dir)) {
    const text = await readFile(join(dir, name), "utf8");
    if (name !== "deployment.yaml") {
      files[`apps/web/${name}`] = text;
      continue;
    }
    const deployment = yaml.load(text) as {
      spec: { template: { metadata: Record<string, unknown>; spec: Record<string, unknown> } };
    };
    Object.assign(deployment.spec.template.spec, onRealNode);
    if (Object.keys(annotations).length > 0) deployment.spec.template.metadata.annotations = annotations;
    files[`apps/web/${name}`] = yaml.dump(deployment);
  }
  return files;
}

let world: GitHubWorld;
let repo: GitRepo;
let ns: TestNamespace;
let release: string;
let controller: ControllerProcess | undefined;

const view = async () =>
  (await (await fetch(`${controller?.url}/v1/gitops/services/web`)).json()) as ServiceView;

const podsOf = async () =>
  (await kubectlJson<{ items: Pod[] }>(["-n", ns.name, "get", "pods", "-l", "app.kubernetes.io/name=web"]))
    .items;

describe("the example web service through the stateless bootstrap on the real node", () => {
  beforeAll(async () => {
    const node = availableRealNode();
    if (!node) return;
    world = await createGitHubWorld();
    ns = await createTestNamespace("real-stateless");
    // The release tree the controller serves: the example's init.sh, app.tar.gz packed from release-src, SHA256SUMS.
    release = await mkdtemp(join(tmpdir(), "real-stateless-release-"));
    await cp(join(EXAMPLE, "release"), release, { recursive: true });
    await packRelease({ src: join(EXAMPLE, "release-src"), out: release, services: ["web"], log: () => {} });
    repo = await world.addRepo("org", "gitops-repo", "t0ken");
    await repo.commit(await exampleFiles());
    // Pods reach the host at the node's address: the controller serves the release tree there.
    const port = await freePort(node.hostIp);
    const config = `
github_configs:
  examples: { repo_owner: org, repo_name: gitops-repo, token_env: GH_TOKEN, api_url: "${world.server.url}" }
services:
  - { name: web, github: examples, k8s_yaml_dir: apps/web, namespace: ${ns.name}, stateless: true }
poll_interval: 2s
listen: "${node.hostIp}:${port}"
release_dir: ${release}
download_base_url: http://${node.hostIp}:${port}
applyers: [kubectl]
health_timeout: ${HEALTH_TIMEOUT_S}s
`;
    controller = await startController(config, {
      KUBECONFIG: kubeconfigPath(),
      GH_TOKEN: "t0ken",
      PATH: process.env.PATH ?? "",
    });
  });

  beforeEach((context) => {
    requireRealNode(context);
  });

  afterAll(async () => {
    await controller?.stop();
    await world?.close();
    await ns?.cleanup();
    if (release) await rm(release, { recursive: true, force: true });
  });

  it("downloads and verifies the release, runs init.sh and answers with the greeting from web.json", async () => {
    const head = await repo.head();
    await waitFor(
      async () => {
        const v = await view();
        return v.state === "deployed" && v.last_commit_id === head;
      },
      {
        timeoutMs: 120_000,
        what: "the web service to land",
        describe: async () => JSON.stringify(await view()),
      },
    );
    const pods = await podsOf();
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      const bootstrap = await kubectl([
        "-n",
        ns.name,
        "logs",
        `pod/${pod.metadata.name}`,
        "-c",
        "simple-gitops-bootstrap",
      ]);
      expect(bootstrap).toContain("simple-gitops bootstrap: verified against SHA256SUMS");
      const answer = await fetch(`http://${pod.status.podIP}:8080/`, { signal: AbortSignal.timeout(5000) });
      expect(await answer.json()).toMatchObject({
        greeting: "Hello from simple-gitops",
        pod: pod.metadata.name,
      });
    }
  });

  it("fails the new pods on a corrupted archive with the bootstrap's message, and the service reports it", async () => {
    const landed = (await view()).last_commit_id;
    const archive = join(release, "apps/web/app.tar.gz");
    const good = await readFile(archive);
    try {
      // SHA256SUMS stays as published: the archive no longer matches it.
      await writeFile(archive, Buffer.concat([good, Buffer.from("tampered")]));
      // A release rolls the pods: the example's init.sh reads web.json at start, so only a new pod template does.
      const commit = await repo.commit(await exampleFiles({ "example.com/release": "2" }));
      const failed = await waitFor(
        async () => {
          const v = await view();
          return v.state === "failed" && v.last_error?.commit === commit && v;
        },
        {
          timeoutMs: (HEALTH_TIMEOUT_S + 60) * 1000,
          what: "the controller to report the corrupted rollout",
          describe: async () => JSON.stringify(await view()),
        },
      );
      expect(failed.last_commit_id).toBe(landed);
      expect(failed.last_error?.message).toContain(`Deployment ${ns.name}/web`);
      const broken = (await podsOf()).filter((pod) =>
        pod.status.initContainerStatuses?.some(
          (s) => s.state.terminated?.exitCode === 1 || s.lastState.terminated?.exitCode === 1,
        ),
      );
      expect(broken.length).toBeGreaterThan(0);
      const message = await kubectl([
        "-n",
        ns.name,
        "logs",
        `pod/${broken[0]?.metadata.name}`,
        "-c",
        "simple-gitops-bootstrap",
      ]);
      expect(message).toMatch(
        /checksum mismatch for apps\/web\/app\.tar\.gz: SHA256SUMS says [0-9a-f]{64}, downloaded [0-9a-f]{64}/,
      );
    } finally {
      await writeFile(archive, good);
    }
  });
});
