import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { Secret } from "../controller/config/secret.js";
import { createLogger } from "./log.js";

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
});
