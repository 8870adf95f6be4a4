import { PassThrough } from "node:stream";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { serviceFiles } from "../../test/github-server/harness.js";
import { createLoopWorld, type LoopWorld } from "../../test/loop-harness.js";
import { recordingApplyer } from "../../test/recording-applyer.js";
import { parseConfig } from "../config/load.js";

let loop: LoopWorld;
beforeEach(async () => {
  loop = await createLoopWorld();
});
afterEach(async () => {
  await loop.close();
});

describe("the poll log line", () => {
  it("is a warning when the repository could not be read, info when it changed, debug when it did not", async () => {
    await loop.repo.commit(serviceFiles("web", "web", 1));
    const config = parseConfig(`
github_configs:
  main: { repo_owner: org, repo_name: gitops, token: t0ken, api_url: "${loop.world.server.url}" }
  gone: { repo_owner: org, repo_name: missing, token: t0ken, api_url: "${loop.world.server.url}" }
services:
  - { name: web, github: main, k8s_yaml_dir: web, stateless: false }
  - { name: lost, github: gone, k8s_yaml_dir: lost, stateless: false }
`);
    const stream = new PassThrough();
    const lines: { level: number; msg: string; repo?: string }[] = [];
    stream.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line));
    });
    const log = pino({ level: "debug" }, stream);
    const controller = loop.controllerWith(recordingApplyer().applyer, config, { log });
    await controller.runOnce();
    await controller.runOnce();
    // Repositories are polled side by side: their lines come in either order.
    const polls = lines
      .filter((line) => line.msg.startsWith("poll: "))
      .sort((a, b) => String(a.repo).localeCompare(String(b.repo)));
    expect(polls.map((line) => [line.repo, line.msg, pino.levels.labels[line.level]])).toEqual([
      ["org/gitops@main", "poll: changed", "info"],
      ["org/gitops@main", "poll: unchanged", "debug"],
      ["org/missing@main", "poll: failed", "warn"],
      ["org/missing@main", "poll: failed", "warn"],
    ]);
  });
});
