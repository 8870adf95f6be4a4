import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../common/log.js";
import { parseConfig } from "../config/load.js";
import { resultBase, type SyncResult } from "./result.js";
import { logSyncResult } from "./sync-log.js";

const [repo] = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken }
services:
  - { name: web, github: main, k8s_yaml_dir: web }
`).repos;
if (!repo) throw new Error("the config has a repository");

describe("logSyncResult", () => {
  it("names the service, repository, commit and trigger on every line of a sync, once each", () => {
    const stream = new PassThrough();
    const log = createLogger({ destination: stream });
    const cm = (name: string) => ({ apiVersion: "v1", kind: "ConfigMap", namespace: "apps", name });
    const result = {
      ...resultBase({ service: "web", repo, trigger: "poll", dryRun: false, started: 0, now: 5 }),
      status: "applied",
      commit: "c0ffee",
      objects: [
        { ...cm("a"), action: "created" },
        { ...cm("b"), action: "failed", message: "refused" },
      ],
      pruned: [{ ...cm("old"), action: "deleted" }],
    } as SyncResult;
    logSyncResult(log, result);
    const text = String(stream.read());
    const lines = text.trimEnd().split("\n");
    expect(lines.map((line) => JSON.parse(line).msg)).toEqual([
      "object applied",
      "object failed",
      "object pruned",
      "sync applied",
    ]);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({
        service: "web",
        repo: "org/gitops@main",
        commit: "c0ffee",
        trigger: "poll",
        dryRun: false,
      });
      expect(line.match(/"service":/g)).toHaveLength(1);
    }
    expect(JSON.parse(lines[1] ?? "{}")).toMatchObject({ name: "b", action: "failed", message: "refused" });
  });
});
