import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { parseConfig } from "./load.js";

const BASE = `
github_configs:
  infra: { repo_owner: org, repo_name: infra }
services:
  - { name: web, github: infra, k8s_yaml_dir: web }
`;

function configWith(lines: readonly string[]): string {
  return `${BASE}${lines.join("\n")}\n`;
}

describe("sharding", () => {
  it.each([
    ["on by default with state: configmap (what apply-gitops installs)", ["state: configmap"], true],
    ["off by default with state: file", ["state: file"], false],
    ["off by default with state unset (a file, run by hand)", [], false],
    ["off when opted out with sharding: false", ["state: configmap", "sharding: false"], false],
    ["on when asked with sharding: true", ["state: configmap", "sharding: true"], true],
  ] as const)("is %s", (_name, lines, expected) => {
    expect(parseConfig(configWith(lines)).sharding).toBe(expected);
  });

  it.each([
    ["with state: file", ["state: file", "sharding: true"]],
    ["with state unset", ["sharding: true"]],
  ] as const)("asked for %s is refused, naming sharding", (_name, lines) => {
    let caught: unknown;
    try {
      parseConfig(configWith(lines));
    } catch (error: unknown) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).issues.map((issue) => issue.path)).toEqual(["sharding"]);
    expect((caught as ConfigError).issues[0]?.message).toContain("state: configmap");
  });
});
