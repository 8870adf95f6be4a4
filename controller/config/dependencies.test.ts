import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.js";
import { dependencyOrder } from "./dependencies.js";
import { parseConfig } from "./load.js";

/** configWith is a config whose services are given as flow mappings after the repository they share. */
const configWith = (services: readonly string[], repo = "") => `
github_configs:
  gitops: { repo_owner: org, repo_name: gitops${repo} }
services:
${services.map((service) => `  - ${service}`).join("\n")}
`;
const service = (name: string, extra = "") =>
  `{ name: ${name}, github: gitops, k8s_yaml_dir: ${name}${extra ? `, ${extra}` : ""} }`;

function issuesOf(text: string): string[] {
  try {
    parseConfig(text);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.issues.map((issue) => `${issue.path}: ${issue.message}`);
    throw error;
  }
  return [];
}

describe("depends_on", () => {
  it.each([
    {
      name: "a two-service cycle, named once with both services",
      services: [service("crds", "depends_on: [app]"), service("app", "depends_on: [crds]")],
      issues: [
        "services[0].depends_on[0]: a dependency cycle: crds → app → crds; each would wait for the other forever",
      ],
    },
    {
      name: "a longer cycle, at the entry that closes it first, with a service outside it left alone",
      services: [
        service("web", "depends_on: [db]"),
        service("db", "depends_on: [ops, cache]"),
        service("cache", "depends_on: [web]"),
        service("ops"),
      ],
      issues: [
        "services[0].depends_on[0]: a dependency cycle: web → db → cache → web; each would wait for the other forever",
      ],
    },
    {
      name: "an unknown name, with the known ones",
      services: [service("web", "depends_on: [db]"), service("cache")],
      issues: ['services[0].depends_on[0]: "db" is not a service (known: cache)'],
    },
    {
      name: "itself",
      services: [service("web", "depends_on: [web]")],
      issues: ['services[0].depends_on[0]: "web" cannot depend on itself'],
    },
    {
      name: "a name listed twice",
      services: [service("web", "depends_on: [db, db]"), service("db")],
      issues: ['services[0].depends_on[1]: "db" is listed twice'],
    },
    {
      name: "an empty name",
      services: [service("web", 'depends_on: [""]')],
      issues: ["services[0].depends_on[0]: Too small: expected string to have >=1 characters"],
    },
  ])("refuses $name", ({ services, issues }) => {
    expect(issuesOf(configWith(services))).toEqual(issues);
  });

  it("keeps each service's dependencies, across repositories", () => {
    const config = parseConfig(`
github_configs:
  platform: { repo_owner: org, repo_name: platform }
  apps: { repo_owner: org, repo_name: apps }
services:
  - { name: web, github: apps, k8s_yaml_dir: web, depends_on: [operator] }
  - { name: operator, github: platform, k8s_yaml_dir: operator }
`);
    expect(config.services.map((s) => [s.name, s.dependsOn])).toEqual([
      ["web", ["operator"]],
      ["operator", undefined],
    ]);
  });
});

describe("on_failure", () => {
  it("is the service's own, else its repository's; hold is left out, as the default", () => {
    const config = parseConfig(`
github_configs:
  gitops: { repo_owner: org, repo_name: gitops, on_failure: rollback }
  other: { repo_owner: org, repo_name: other }
services:
  - { name: a, github: gitops, k8s_yaml_dir: a }
  - { name: b, github: gitops, k8s_yaml_dir: b, on_failure: hold }
  - { name: c, github: other, k8s_yaml_dir: c }
  - { name: d, github: other, k8s_yaml_dir: d, on_failure: rollback }
`);
    expect(config.services.map((s) => [s.name, s.onFailure])).toEqual([
      ["a", "rollback"],
      ["b", undefined],
      ["c", undefined],
      ["d", "rollback"],
    ]);
  });

  it("refuses any other value, at its path", () => {
    expect(issuesOf(configWith([service("web", "on_failure: retry")]))).toEqual([
      'services[0].on_failure: expected one of "hold"|"rollback"',
    ]);
  });
});

describe("dependencyOrder", () => {
  it.each([
    {
      name: "keeps the config's order without dependencies",
      entries: [
        { name: "a", dependsOn: [] },
        { name: "b", dependsOn: [] },
      ],
      order: ["a", "b"],
    },
    {
      name: "puts each service after what it depends on, transitively",
      entries: [
        { name: "app", dependsOn: ["operator"] },
        { name: "operator", dependsOn: ["crds"] },
        { name: "unrelated", dependsOn: [] },
        { name: "crds", dependsOn: [] },
      ],
      order: ["crds", "operator", "app", "unrelated"],
    },
  ])("$name", ({ entries, order }) => {
    const rank = dependencyOrder(entries);
    expect([...rank.keys()].sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0))).toEqual(order);
  });
});
