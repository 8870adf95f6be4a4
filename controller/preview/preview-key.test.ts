import { describe, expect, it } from "vitest";
import { pullRequestOf } from "../../test/preview-support.js";
import { parseConfig } from "../config/load.js";
import { type ControllerState, emptyServiceState, emptyState } from "../record/state/state.js";
import { previewKey } from "./preview-key.js";

const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t, pr_preview: true }
  other: { repo_owner: org, repo_name: other, token: t }
services:
  - { name: web, github: main, k8s_yaml_dir: web }
  - { name: elsewhere, github: other, k8s_yaml_dir: x }
`);
const pull = pullRequestOf({ number: 1, headSha: "h1" });
const state = (web: { commit?: string; inventory?: number }, elsewhere = "e1"): ControllerState => ({
  ...emptyState(),
  services: {
    web: {
      ...emptyServiceState(),
      ...(web.commit ? { commit: web.commit } : {}),
      inventory: Array.from({ length: web.inventory ?? 0 }, (_, i) => ({
        apiVersion: "v1",
        kind: "ConfigMap",
        name: `c${i}`,
      })),
    },
    elsewhere: { ...emptyServiceState(), commit: elsewhere },
  },
});

describe("previewKey", () => {
  const before = previewKey(pull, config, state({ commit: "c1", inventory: 2 }));
  it.each([
    ["a push to the pull request", { ...pull, headSha: "h2" }, state({ commit: "c1", inventory: 2 })],
    ["a commit landing on the branch", pull, state({ commit: "c2", inventory: 2 })],
    [
      "a prune or a first landing changing what the service holds",
      pull,
      state({ commit: "c1", inventory: 3 }),
    ],
  ])("changes on %s", (_name, moved, after) => {
    expect(previewKey(moved, config, after)).not.toBe(before);
  });
  it("stays while nothing the preview reads moved, whatever another repository does", () => {
    expect(previewKey(pull, config, state({ commit: "c1", inventory: 2 }, "e2"))).toBe(before);
  });
});
