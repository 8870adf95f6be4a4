import { describe, expect, it } from "vitest";
import { appKeyPair } from "../../test/github-server/app-auth.js";
import { ConfigError } from "./config-error.js";
import { parseConfig } from "./load.js";
import { resolveSecrets } from "./resolve-secrets.js";

const config = (entry: string, top = "") => `
github_configs:
  main: { repo_owner: org, repo_name: gitops, ${entry} }
services: [{ name: web, github: main, k8s_yaml_dir: web }]
${top}`;
const APP = "github_app: { app_id: 12, installation_id: 34, private_key_file: /keys/app.pem }";

function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("github_app, commit_status, cluster_name and public_url", () => {
  it("reads a GitHub App and commit_status, with the cluster name and public URL statuses use", () => {
    const parsed = parseConfig(
      config(`${APP}, commit_status: true`, "cluster_name: eu-1\npublic_url: https://g.example.com/"),
    );
    expect(parsed.repos[0]?.githubApp).toEqual({
      appId: 12,
      installationId: 34,
      privateKey: { from: "file", name: "/keys/app.pem" },
    });
    expect(parsed.repos[0]?.commitStatus).toBe(true);
    expect(parsed.clusterName).toBe("eu-1");
    expect(parsed.publicUrl).toBe("https://g.example.com");
  });

  it("defaults the cluster name to applyer_nokube's, else to default, and commit_status to off", () => {
    expect(parseConfig(config("token: t")).clusterName).toBe("default");
    expect(parseConfig(config("token: t")).repos[0]?.commitStatus).toBeUndefined();
    const nokube =
      "applyer_nokube: { cluster_name: home, nokube_download_url: https://x.example.com/nokube }";
    expect(parseConfig(config("token: t", nokube)).clusterName).toBe("home");
  });

  it.each([
    [
      "a token beside the app",
      `token_env: T, ${APP}`,
      "github_configs.main: expected one way to authenticate: token_env or github_app, not both",
    ],
    [
      "no private key",
      "github_app: { app_id: 1, installation_id: 2 }",
      "github_configs.main.github_app: expected private_key_file or private_key_env (the app's private key)",
    ],
    [
      "two private keys",
      "github_app: { app_id: 1, installation_id: 2, private_key_env: K, private_key_file: /k }",
      "github_configs.main.github_app: expected at most one of private_key_env, private_key_file",
    ],
    [
      "a non-numeric app_id",
      "github_app: { app_id: my-app, installation_id: 2, private_key_env: K }",
      "github_configs.main.github_app.app_id: expected a number",
    ],
    [
      "an inline key",
      "github_app: { app_id: 1, installation_id: 2, private_key: x }",
      'github_configs.main.github_app: unknown key "private_key" (known: app_id, installation_id, private_key_file, private_key_env)',
    ],
    [
      "statuses without credentials",
      "commit_status: true",
      "github_configs.main.commit_status: needs a token (token, token_env, token_file) or github_app: GitHub refuses anonymous statuses",
    ],
  ])("names the field of %s", (_name, entry, issue) => {
    // A github_configs entry that does not parse also leaves its services without a repository: that is said too.
    expect(issuesOf(() => parseConfig(config(entry)))[0]).toBe(issue);
  });

  it.each([
    ["cluster_name: eu/1", 'cluster_name: expected letters, digits, ".", "_" and "-", e.g. "prod-eu"'],
    ["public_url: ftp://x", "public_url: expected an http(s) URL"],
  ])("refuses %s", (top, issue) => {
    expect(issuesOf(() => parseConfig(config("token: t", top)))).toEqual([issue]);
  });

  it("reads the private key at start-up and names the field when it is missing or not a key, never quoting it", () => {
    const parsed = parseConfig(config(APP));
    const { privateKey } = appKeyPair();
    const resolved = resolveSecrets(parsed, { env: {}, readFile: () => privateKey });
    expect(resolved.repos[0]?.githubApp?.privateKey.value?.reveal()).toBe(privateKey.trim());
    const missing = issuesOf(() =>
      resolveSecrets(parsed, {
        env: {},
        readFile: () => {
          throw Object.assign(new Error("nope"), { code: "ENOENT" });
        },
      }),
    );
    expect(missing).toEqual([
      "github_configs.main.github_app.private_key_file: cannot read file /keys/app.pem (ENOENT)",
    ]);
    const garbage = "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWtleS1ib2R5\n-----END RSA PRIVATE KEY-----";
    const notKey = issuesOf(() => resolveSecrets(parsed, { env: {}, readFile: () => garbage }));
    expect(notKey).toEqual([
      "github_configs.main.github_app.private_key_file: not a PEM private key: expected the .pem file GitHub generated for the app (-----BEGIN RSA PRIVATE KEY-----)",
    ]);
    expect(notKey.join("")).not.toContain("c2VjcmV0LWtleS1ib2R5");
  });
});
