import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { parseConfig } from "./load.js";

const config = (entry: string, service = "web") => `
github_configs:
  main: { repo_owner: org, repo_name: gitops, ${entry} }
services: [{ name: ${service}, github: main, k8s_yaml_dir: web }]
`;
const listConfig = (entry: string) => `
github_configs:
  - { name: main, repo_owner: org, repo_name: gitops, ${entry} }
services: [{ name: web, github: main, k8s_yaml_dir: web }]
`;

function issuesOf(text: string): string[] {
  try {
    parseConfig(text);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("pr_preview", () => {
  it.each([
    ["absent", "token: t", undefined],
    ["false", "token: t, pr_preview: false", undefined],
    ["true", "token: t, pr_preview: true", { forks: false }],
    ["a mapping without forks", "token: t, pr_preview: {}", { forks: false }],
    ["a mapping with forks", "token: t, pr_preview: { forks: true }", { forks: true }],
  ])("reads %s", (_name, entry, expected) => {
    expect(parseConfig(config(entry)).repos[0]?.prPreview).toEqual(expected);
  });

  it.each([
    [
      "a word",
      config("token: t, pr_preview: yes-please"),
      "github_configs.main.pr_preview: expected true, false or a mapping such as {forks: true}",
    ],
    [
      "forks that is not a bool",
      config('token: t, pr_preview: { forks: "sometimes" }'),
      "github_configs.main.pr_preview.forks: expected a boolean",
    ],
    [
      "a misspelt key",
      config("token: t, pr_preview: { fork: true }"),
      'github_configs.main.pr_preview: unknown key "fork" (known: forks)',
    ],
    [
      "a misspelt key in the list form",
      listConfig("token: t, pr_preview: { fork: true }"),
      'github_configs[0].pr_preview: unknown key "fork" (known: forks)',
    ],
    [
      "no credentials",
      config("pr_preview: true"),
      "github_configs.main.pr_preview: needs a token (token, token_env, token_file) or github_app: GitHub refuses anonymous comments and statuses",
    ],
    [
      "a service whose status context is the preview's",
      config("token: t, pr_preview: true, commit_status: true", "preview"),
      `services[0].name: "preview" is the commit status context of github_configs.main's pull request previews; rename the service or turn off commit_status there`,
    ],
  ])("refuses %s, naming the field", (_name, text, issue) => {
    expect(issuesOf(text)[0]).toBe(issue);
  });

  it("lets a service be called preview when its repository sets no commit statuses", () => {
    expect(parseConfig(config("token: t, pr_preview: true", "preview")).services[0]?.name).toBe("preview");
  });
});
