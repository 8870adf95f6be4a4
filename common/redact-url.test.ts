import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../controller/config/load.js";
import { createGitHubSource } from "../controller/source/github.js";
import { describeConfig } from "../controller/start/startup.js";
import {
  captureLogger,
  createGitHubWorld,
  type GitHubWorld,
  serviceFiles,
} from "../test/github-server/harness.js";
import { redactUrl, redactUrlsIn } from "./redact-url.js";

describe("redactUrl", () => {
  it.each([
    ["https://api.github.com", "https://api.github.com"],
    ["https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/"],
    ["http://user:pass@127.0.0.1:8080", "http://127.0.0.1:8080"],
    ["http://user:p@ss@ghe.example.com/api/v3", "http://ghe.example.com/api/v3"],
    [
      "https://token@ghe.example.com/api?access_token=abc&x",
      "https://ghe.example.com/api?access_token=REDACTED&REDACTED",
    ],
    ["https://h.example/p?a=1&b=2#frag", "https://h.example/p?a=REDACTED&b=REDACTED"],
    ["/v1/gitops/sync?token=abc", "/v1/gitops/sync?token=REDACTED"],
  ])("%s → %s", (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it("redacts every URL inside a text and leaves the rest alone", () => {
    expect(redactUrlsIn("GET http://u:p@h:1/x?t=9 failed; see https://docs.github.com/rest.")).toBe(
      "GET http://h:1/x?t=REDACTED failed; see https://docs.github.com/rest.",
    );
  });
});

// Errors keep their message, stack and cause when logged; a leak there counts as much as in a message.
function dump(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner instanceof Error
      ? { ...inner, message: inner.message, stack: inner.stack, cause: inner.cause }
      : inner,
  );
}

describe("an api_url with userinfo", () => {
  let world: GitHubWorld;
  beforeEach(async () => {
    world = await createGitHubWorld();
    const repo = await world.addRepo("acme", "deploy", undefined);
    await repo.commit(serviceFiles("etcd", "k8s/etcd", 1));
  });
  afterEach(() => world.close());

  it("never shows user:pass in the source error or the logs", async () => {
    const apiUrl = world.server.url.replace("://", "://ci-user:hunter2pass@");
    expect(apiUrl).toContain("ci-user:hunter2pass@127.0.0.1:");
    const capture = captureLogger();
    const source = createGitHubSource({
      log: capture.log,
      retry: { retries: 1, rateLimitRetries: 0, maxRetryAfterSeconds: 1, baseMs: 1 },
    });
    const result = await source.poll({
      repository: { owner: "acme", repo: "deploy", branch: "main", apiUrl },
      services: [{ name: "etcd", dir: "k8s/etcd" }],
      known: {},
    });
    expect(result.status).toBe("failed");
    if (result.status !== "failed") return;
    // The error still says where it was going, so an operator can tell which API root failed.
    expect(result.error.message).toContain(world.server.url);
    const shown = dump(result) + dump(capture.lines);
    expect(shown).not.toContain("hunter2pass");
    expect(shown).not.toContain("ci-user");
  });
});

describe("describeConfig", () => {
  // Userinfo in api_url is a config error now (load.ts); a query is still accepted and still redacted.
  it("logs where each api_url points, without its query values", () => {
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => lines.push(line) });
    const config = parseConfig(
      `
github_configs:
  app: { repo_owner: acme, repo_name: app, branch: main, api_url: "http://ghe.example.com/api/v3?token=hunter2pass&x=abc" }
services:
  - { name: app, github: app, k8s_yaml_dir: deploy }
`,
      "config.yaml",
    );
    describeConfig(config, log);
    const text = lines.join("");
    expect(JSON.parse(text).apiUrls).toEqual(["http://ghe.example.com/api/v3?token=REDACTED&x=REDACTED"]);
    expect(text).not.toContain("hunter2pass");
    expect(text).not.toContain("abc");
  });
});
