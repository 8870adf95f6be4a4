import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appKeyPair } from "../github-server/app-auth.js";
import { createGitHubWorld, type GitHubWorld } from "../github-server/harness.js";
import { createTestNamespace, kubeconfigPath, kubectlJson, type TestNamespace, waitFor } from "./cluster.js";
import { type ControllerProcess, startController } from "./controller-process.js";

// A GitHub App reads a private repository (only the app's installation may) and the controller sets a commit status
// per service on the commit it synced, through a real controller process on the test cluster. The test server
// verifies each JWT against the app's public key and each status against GitHub's schema.

const APP = 424242;
const INSTALLATION = 777;
const CLUSTER = "e2e";

let world: GitHubWorld;
let ns: TestNamespace;
beforeAll(async () => {
  world = await createGitHubWorld();
  ns = await createTestNamespace("commit-status");
});
afterAll(async () => {
  await world?.close();
  await ns?.cleanup();
});

const configMap = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name} }\ndata: { greeting: hello }\n`;
// The apiserver refuses it: a port must be between 1 and 65535.
const badService =
  "apiVersion: v1\nkind: Service\nmetadata: { name: db }\nspec: { selector: { app: db }, ports: [{ port: 99999 }] }\n";

interface ServiceView {
  state: string;
  last_commit_id: string | null;
  last_error: { message: string } | null;
}

const serviceView = async (controller: ControllerProcess, name: string) =>
  (await (await fetch(`${controller.url}/v1/gitops/services/${name}`)).json()) as ServiceView;

describe("commit statuses with GitHub App authentication, through a real controller process", () => {
  it("reads with an installation token and sets pending then success or failure on the synced commit", async () => {
    const suffix = randomBytes(3).toString("hex");
    const key = appKeyPair();
    world.server.apps.addApp(APP, key.publicKey);
    // Only the installation may read it: the repository's own token is one the controller does not have.
    const repo = await world.addRepo("org", `private-${suffix}`, `ghp_${randomBytes(16).toString("hex")}`);
    world.server.apps.install(INSTALLATION, APP, [`org/private-${suffix}`]);
    const head = await repo.commit({ "web/cm.yaml": configMap("web-settings"), "db/svc.yaml": badService });
    const services = { web: `web-${suffix}`, db: `db-${suffix}` };
    const controller = await startController(
      `
github_configs:
  gitops:
    repo_owner: org
    repo_name: private-${suffix}
    api_url: "${world.server.url}"
    github_app: { app_id: ${APP}, installation_id: ${INSTALLATION}, private_key_env: APP_KEY }
    commit_status: true
services:
  - { name: ${services.web}, github: gitops, k8s_yaml_dir: web, namespace: ${ns.name}, stateless: false }
  - { name: ${services.db}, github: gitops, k8s_yaml_dir: db, namespace: ${ns.name}, stateless: false }
cluster_name: ${CLUSTER}
public_url: https://gitops.example.test
poll_interval: 1s
listen: "127.0.0.1:0"
health_timeout: 60s
`,
      { KUBECONFIG: kubeconfigPath(), APP_KEY: key.privateKey, PATH: process.env.PATH ?? "" },
    );
    try {
      const posted = (service: string) =>
        world.server.statuses.statuses.filter(
          (status) => status.context === `simple-gitops/${CLUSTER}/${service}`,
        );
      const settled = (service: string) => {
        const states = posted(service).map((status) => status.state);
        return states.includes("success") || states.includes("failure");
      };
      await waitFor(async () => settled(services.web) && settled(services.db), {
        timeoutMs: 90_000,
        what: "a final commit status for both services",
        describe: () => JSON.stringify(world.server.statuses.statuses),
      });

      const web = posted(services.web);
      expect(web.map((status) => [status.state, status.sha])).toEqual([
        ["pending", head],
        ["success", head],
      ]);
      expect(web.at(-1)?.target_url).toBe(`https://gitops.example.test/ui#service-${services.web}`);
      // Posts go out a second apart and a status still queued is replaced by a newer one for the same commit and
      // context: db's sync failed within that second, so its pending may never have been sent, only its failure.
      const db = posted(services.db);
      expect(db.map((status) => status.sha)).toEqual(db.map(() => head));
      expect(db.map((status) => status.state).filter((state) => state !== "pending")).toEqual(["failure"]);
      expect(db.at(-1)?.state).toBe("failure");
      expect(db.at(-1)?.description).toMatch(/99999/);
      expect(world.server.statuses.rejected).toEqual([]);

      // What the statuses say is what happened: the ConfigMap is there, the Service failed and is reported so.
      const cm = await kubectlJson<{ data: Record<string, string> }>([
        "-n",
        ns.name,
        "get",
        "configmap",
        "web-settings",
      ]);
      expect(cm.data).toEqual({ greeting: "hello" });
      expect((await serviceView(controller, services.web)).last_commit_id).toBe(head);
      const dbView = await serviceView(controller, services.db);
      expect(dbView.state).toBe("failed");
      expect(dbView.last_error?.message).toMatch(/99999/);

      // Every token the controller used was minted for the installation from a JWT the server verified.
      const minted = world.server.apps.minted;
      expect(minted.length).toBeGreaterThan(0);
      expect(new Set(minted.map((token) => `${token.claims.iss}/${token.installationId}`))).toEqual(
        new Set([`${APP}/${INSTALLATION}`]),
      );
      expect(
        controller
          .logs()
          .map((line) => JSON.stringify(line))
          .join("\n"),
      ).not.toContain(key.privateKey.split("\n")[1] ?? "-");
    } finally {
      await controller.stop();
    }
  });
});
