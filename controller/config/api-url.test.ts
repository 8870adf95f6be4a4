import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { parseConfig } from "./load.js";

const PASSWORD = "s3cr3t-Pa55";

const mapForm = (apiUrl: string) => `
github_configs:
  ghe:
    repo_owner: o
    repo_name: r
    api_url: "${apiUrl}"
services: [{ name: web, github: ghe, k8s_yaml_dir: k8s }]
`;

const listForm = (apiUrl: string) => `
github_configs:
  - name: ghe
    repo_owner: o
    repo_name: r
    api_url: "${apiUrl}"
services: [{ name: web, github: ghe, k8s_yaml_dir: k8s }]
`;

function refusal(text: string): { issues: string[]; whole: string } {
  try {
    parseConfig(text);
  } catch (error: unknown) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      issues: error.issues.map((issue) => `${issue.path}: ${issue.message}`),
      whole: `${error.message}${JSON.stringify(error)}`,
    };
  }
  return { issues: [], whole: "" };
}

describe("github_configs.*.api_url", () => {
  it.each([
    ["user and password", `https://deploy:${PASSWORD}@ghe.example.com/api/v3`],
    ["a user alone", "https://deploy@ghe.example.com/api/v3"],
    ["a password alone", `https://:${PASSWORD}@ghe.example.com/api/v3`],
    [
      "a percent-encoded password",
      `https://deploy:${encodeURIComponent(`${PASSWORD}@!`)}@ghe.example.com/api/v3`,
    ],
    ["plain http with a port", `http://deploy:${PASSWORD}@10.0.0.5:8443/api/v3`],
    ["an upper-case scheme", `HTTPS://deploy:${PASSWORD}@ghe.example.com/api/v3`],
    ["api.github.com", `https://x-access-token:${PASSWORD}@api.github.com`],
  ])("refuses credentials in the URL (%s), naming the field and the ways to authenticate", (_name, url) => {
    for (const [form, path] of [
      [mapForm, "github_configs.ghe.api_url"],
      [listForm, "github_configs[0].api_url"],
    ] as const) {
      const { issues, whole } = refusal(form(url));
      // Only the field at fault: the service naming this entry is not reported as naming an unknown one.
      expect(issues).toEqual([
        `${path}: must not contain credentials (user:password@): fetch refuses such a URL on every request. Authenticate with token, token_env, token_file or github_app`,
      ]);
      expect(whole).not.toContain(PASSWORD);
      expect(whole).not.toContain(encodeURIComponent(PASSWORD));
    }
  });

  it.each([
    ["GitHub Enterprise", "https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3"],
    ["a port and a trailing slash", "http://10.0.0.5:8443/api/v3/", "http://10.0.0.5:8443/api/v3"],
    ["an @ in the path", "https://ghe.example.com/api/v3/@team", "https://ghe.example.com/api/v3/@team"],
  ])("accepts a URL without credentials (%s)", (_name, url, apiUrl) => {
    expect(parseConfig(mapForm(url)).repos[0]?.apiUrl).toBe(apiUrl);
    expect(parseConfig(listForm(url)).repos[0]?.apiUrl).toBe(apiUrl);
  });
});
