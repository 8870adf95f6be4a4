import { generateKeyPairSync } from "node:crypto";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../controller/config/config-error.js";
import { parseConfig } from "../controller/config/load.js";
import { parseConfigYaml } from "../controller/config/parse-yaml.js";
import { resolveSecrets } from "../controller/config/resolve-secrets.js";
import { type SecretLookup, splitSecrets } from "./split-secrets.js";

// Every way the config can name a credential: inline, *_env and *_file tokens, a GitHub App key from the
// environment and from a file (map and list form), notification URLs and signing secrets, webhook secrets named
// and defaulted, and the seed's webhook_url.
const CONFIG = `
github_configs:
  - { name: inline, repo_owner: o, repo_name: a, token: ghp_inline }
  - { name: from-env, repo_owner: o, repo_name: b, token_env: B_TOKEN, webhook_secret_env: B_HOOK }
  - { name: from-file, repo_owner: o, repo_name: c, token_file: /run/c-token }
  - name: app-env
    repo_owner: o
    repo_name: d
    github_app: { app_id: 1, installation_id: 2, private_key_env: D_KEY }
  - name: app-file
    repo_owner: o
    repo_name: e
    github_app: { app_id: 1, installation_id: 2, private_key_file: /run/e.pem }
services:
  - { name: a, github: inline, k8s_yaml_dir: a }
  - { name: b, github: from-env, k8s_yaml_dir: b }
  - { name: c, github: from-file, k8s_yaml_dir: c }
  - { name: d, github: app-env, k8s_yaml_dir: d }
  - { name: e, github: app-file, k8s_yaml_dir: e }
notifications:
  - { type: slack, url_env: SLACK_URL }
  - { type: generic, url: "https://ci.example.com/hook", secret_env: CI_HMAC }
webhook_url: https://hooks.example.com/x
`;

const USED = new Set(["inline", "from-env", "from-file", "app-env", "app-file"]);
const raw = () => (parseConfigYaml(CONFIG) as { value: Record<string, unknown> }).value;
const PEM = generateKeyPairSync("rsa", { modulusLength: 1024 })
  .privateKey.export({ type: "pkcs1", format: "pem" })
  .toString();
const ENV: Record<string, string> = {
  B_TOKEN: "b",
  B_HOOK: "hook",
  D_KEY: PEM,
  SLACK_URL: "https://hooks.slack.com/x",
  CI_HMAC: "hmac",
};
const FILES: Record<string, string> = { "/run/c-token": "c\n", "/run/e.pem": PEM };
const everything: SecretLookup = { env: (name) => ENV[name], file: (path) => FILES[path] };
const nothing: SecretLookup = { env: () => undefined, file: () => undefined };

/** controllerIssues are the fields the controller's own start-up check reports for `config` with this environment. */
function controllerIssues(
  text: string,
  env: Record<string, string>,
  files: Record<string, string> = {},
): string[] {
  try {
    resolveSecrets(parseConfig(text), {
      env,
      readFile: (path) => {
        const content = files[path];
        if (content === undefined) throw Object.assign(new Error("missing"), { code: "ENOENT" });
        return content;
      },
    });
    return [];
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    return error.issues.map((issue) => issue.path);
  }
}

describe("splitSecrets", () => {
  it("gives the installed controller a config and an environment its start-up check accepts", () => {
    const split = splitSecrets(raw(), everything, USED);
    expect(split.missing).toEqual([]);
    expect(controllerIssues(yaml.dump(split.config), split.secretData)).toEqual([]);
  });

  it("leaves no credential and no path of the installer's machine in the config", () => {
    const text = yaml.dump(splitSecrets(raw(), everything, USED).config);
    for (const value of ["ghp_inline", "/run/", "BEGIN RSA", "hooks.example.com", "ci.example.com"])
      expect(text).not.toContain(value);
  });

  it("calls required exactly the credentials the controller cannot start without", () => {
    const required = splitSecrets(raw(), nothing, USED)
      .missing.filter((missing) => missing.without === undefined)
      .map((missing) => missing.field);
    expect(required.sort()).toEqual(controllerIssues(CONFIG, {}).sort());
    expect(required.length).toBe(5);
  });

  it("calls the named signing and webhook secrets optional, saying what does not work, and misses no default one", () => {
    const optional = splitSecrets(raw(), nothing, USED).missing.filter(
      (missing) => missing.without !== undefined,
    );
    expect(optional.map((missing) => [missing.field, missing.source])).toEqual([
      ["github_configs.from-env.webhook_secret_env", "environment variable B_HOOK"],
      ["notifications[1].secret_env", "environment variable CI_HMAC"],
    ]);
  });

  it("keeps a value of the installed Secret that this shell does not set, and says which", () => {
    const installed: Record<string, string> = {
      GITOPS_TOKEN_FROM_ENV: "installed-b",
      WEBHOOK_SECRET: "installed-hook",
    };
    const split = splitSecrets(raw(), { ...nothing, installed: (key) => installed[key] });
    expect(split.secretData).toMatchObject(installed);
    expect(split.kept.sort()).toEqual(["GITOPS_TOKEN_FROM_ENV", "WEBHOOK_SECRET"]);
    expect(split.missing.map((missing) => missing.field)).not.toContain("github_configs.from-env.token_env");
  });

  it("makes the credentials of a repository no service uses optional, as the controller does not load it", () => {
    const split = splitSecrets(raw(), nothing, new Set(["inline"]));
    expect(split.missing.filter((missing) => missing.without === undefined).map((m) => m.field)).toEqual([
      "notifications[0].url_env",
    ]);
    expect(split.missing.find((m) => m.field === "github_configs.from-env.token_env")?.without).toContain(
      "no service uses this repository",
    );
  });

  it("prefers this shell's value to the installed one", () => {
    const split = splitSecrets(raw(), { ...everything, installed: () => "installed" });
    expect(split.secretData.GITOPS_TOKEN_FROM_ENV).toBe("b");
    expect(split.kept).toEqual(["WEBHOOK_SECRET"]);
  });
});
