import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { Secret } from "../controller/config/secret.js";
import { createLogger } from "./log.js";
import { PRETTY_VALUE_LIMIT } from "./pretty-line.js";

function capture(format: "json" | "pretty") {
  const stream = new PassThrough();
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { log: createLogger({ format, destination: stream }), read: () => text };
}

describe("createLogger", () => {
  it("writes one JSON object per line", () => {
    const { log, read } = capture("json");
    log.info({ service: "etcd", commit: "abc" }, "applied");
    const line = JSON.parse(read().trim());
    expect(line).toMatchObject({ level: 30, service: "etcd", commit: "abc", msg: "applied" });
  });

  it("censors credentials wherever they appear", () => {
    const { log, read } = capture("json");
    log.warn(
      { token: "ghp_a", request: { headers: { authorization: "token ghp_b" } }, secret: new Secret("ghp_c") },
      "x",
    );
    expect(read()).not.toMatch(/ghp_/);
    expect(read()).toContain("[redacted]");
  });

  it("writes readable lines in pretty mode", () => {
    const { log, read } = capture("pretty");
    log.info({ service: "etcd" }, "applied");
    expect(read()).toContain("INFO");
    expect(read()).toContain("applied");
    expect(read()).not.toMatch(/^\{/);
  });

  it("writes one line per event in pretty mode, object lines without the sync's context", () => {
    const { log, read } = capture("pretty");
    const sync = {
      service: "web",
      repo: "acme/deploy@main",
      commit: "0123456789abcdef0123",
      trigger: "poll",
    };
    const object = { kind: "Deployment", namespace: "shop", name: "web", action: "configured" };
    log.child({ component: "sync" }).info({ ...sync, dryRun: false, ...object }, "object applied");
    log
      .child({ component: "sync" })
      .info({ ...sync, status: "applied", files: { changed: ["web/a.yaml"], failed: [] } }, "sync applied");
    const lines = read().trimEnd().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^\[[\d:.]+\] INFO: sync: web@0123456789ab object applied Deployment shop\/web configured$/,
    );
    expect(lines[1]).toMatch(
      /INFO: sync: web@0123456789ab sync applied repo=acme\/deploy@main trigger=poll status=applied files={"changed":\["web\/a.yaml"\]}$/,
    );
  });

  it("keeps an error, a multi-line message and a long list on one pretty line", () => {
    const { log, read } = capture("pretty");
    const paths = Array.from({ length: 40 }, (_, i) => `web/file-${i}.yaml`);
    log.warn(
      { err: new Error("connect ECONNREFUSED"), files: { changed: paths, failed: [] } },
      "first\nsecond",
    );
    log.info({ name: "web", dryRun: true }, "named");
    const why = `repository not found. ${"Check the token. ".repeat(20)}`;
    log.error({ error: { code: "E_SOURCE_REPO_NOT_FOUND", message: why } }, "sync failed");
    const [warned, named, failed, ...rest] = read().trimEnd().split("\n");
    expect(rest).toEqual([]);
    expect(warned).toContain(
      'WARN: first second err="connect ECONNREFUSED" files={"changed":["web/file-0.yaml"',
    );
    expect(warned?.length).toBeLessThan(PRETTY_VALUE_LIMIT + 120);
    expect(named).toMatch(/INFO: named \(dry run\) name=web$/);
    expect(failed).toMatch(/ERROR: sync failed error="E_SOURCE_REPO_NOT_FOUND: (.*)"$/);
    expect(failed).toContain(why.trim());
  });
});
