import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { GitRepo } from "../../test/github-server/git-repo.js";
import {
  captureLogger,
  createGitHubWorld,
  type GitHubWorld,
  serviceFiles,
} from "../../test/github-server/harness.js";
import { createGitHubSource } from "./github.js";
import type { PollRequest, PollResult, SourceRepository } from "./source.js";

const TOKEN = "ghp_errorstesttoken000000000000000000000";
const WRONG = "ghp_wrongtoken99999999999999999999999999";
const FAST = { retries: 2, rateLimitRetries: 2, maxRetryAfterSeconds: 60, baseMs: 1 };

// Errors keep their message, stack and cause when logged; a leak there counts as much as in a message.
function dump(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner instanceof Error
      ? { ...inner, message: inner.message, stack: inner.stack, cause: inner.cause }
      : inner,
  );
}

describe("GitHub source errors", () => {
  let world: GitHubWorld;
  let repo: GitRepo;
  let capture: ReturnType<typeof captureLogger>;

  beforeEach(async () => {
    world = await createGitHubWorld();
    repo = await world.addRepo("acme", "deploy", TOKEN);
    await repo.commit({ ...serviceFiles("etcd", "k8s/etcd", 2), ...serviceFiles("web", "k8s/web", 2) });
    capture = captureLogger();
  });
  afterEach(() => world.close());

  const poll = (repository: Partial<SourceRepository> = {}): Promise<PollResult> => {
    const request: PollRequest = {
      repository: {
        owner: "acme",
        repo: "deploy",
        branch: "main",
        apiUrl: world.server.url,
        token: TOKEN,
        ...repository,
      },
      services: [
        { name: "etcd", dir: "k8s/etcd" },
        { name: "web", dir: "k8s/web" },
      ],
      known: {},
    };
    return createGitHubSource({ log: capture.log, retry: FAST }).poll(request);
  };

  it.each([
    [
      "repository",
      { repo: "missing" },
      "E_SOURCE_REPO_NOT_FOUND",
      /acme\/missing@main .*repository not found/,
    ],
    [
      "branch",
      { branch: "release" },
      "E_SOURCE_BRANCH_NOT_FOUND",
      /acme\/deploy@release .*branch release does not exist/,
    ],
  ] as const)("fails a missing %s with one request and an error naming every service", async (_name, repository, code, message) => {
    const result = await poll(repository);

    expect(result).toMatchObject({ status: "failed", changed: false, error: { code, status: 404 } });
    if (result.status !== "failed") throw new Error("expected failure");
    expect(result.error.message).toMatch(message);
    expect(result.error.message).toContain("services etcd, web");
    expect(result.services.map((service) => [service.service, service.error.code])).toEqual([
      ["etcd", code],
      ["web", code],
    ]);
    expect(world.server.counts()).toEqual({ total: 1, notModified: 0, charged: 1 });
  });

  it("fails bad credentials after exactly one request, without retrying or echoing the token", async () => {
    const result = await poll({ token: WRONG });

    expect(result).toMatchObject({
      status: "failed",
      error: { code: "E_SOURCE_BAD_CREDENTIALS", status: 401 },
    });
    expect(world.server.requests.map((record) => record.status)).toEqual([401]);
    expect(dump(result)).not.toContain(WRONG);
    expect(dump(capture.lines)).not.toContain(WRONG);
  });

  it("retries server errors and dropped connections, then succeeds", async () => {
    world.server.failNext(/\/branches\//, 1, { kind: "status", status: 502 });
    world.server.failNext(/\/git\/trees\//, 1, { kind: "drop" });

    const result = await poll();

    expect(result.status).toBe("changed");
    expect(world.server.requests.map((record) => [record.path.split("/")[4], record.status])).toEqual([
      ["branches", 502],
      ["branches", 200],
      ["git", 0],
      ["git", 200],
      ["git", 200],
      ["git", 200],
      ["git", 200],
      ["git", 200],
    ]);
  });

  it("gives up on a server error after the configured retries", async () => {
    world.server.failNext(/\/branches\//, 10, { kind: "status", status: 503 });

    const result = await poll();

    expect(result).toMatchObject({ status: "failed", error: { code: "E_SOURCE_UNAVAILABLE", status: 503 } });
    expect(world.server.counts()).toEqual({ total: 1 + FAST.retries, notModified: 0, charged: 0 });
  });

  it("waits out a secondary rate limit's Retry-After, a bounded number of times", async () => {
    world.server.failNext(/\/branches\//, 1, { kind: "secondary-rate-limit", retryAfterSeconds: 3 });
    expect((await poll()).status).toBe("changed");
    expect(
      capture.lines.some((line) => /secondary rate limit hit, retrying in 3s/.test(line.message ?? "")),
    ).toBe(true);
    world.server.resetRequests();

    world.server.failNext(/\/branches\//, 10, { kind: "secondary-rate-limit", retryAfterSeconds: 1 });
    const result = await poll();

    expect(result).toMatchObject({ status: "failed", error: { code: "E_SOURCE_RATE_LIMITED" } });
    // The wait GitHub asked for, not the hourly reset that may be most of an hour away.
    expect(result.status === "failed" && result.error.message).toContain("secondary limit: retry after 1 s");
    expect(result.status === "failed" && result.error.message).not.toMatch(/until \d{4}-/);
    expect(world.server.counts().total).toBe(1 + FAST.rateLimitRetries);
  });

  it("dates a secondary limit's end from the source's clock, not the machine's", async () => {
    const now = Date.UTC(2031, 4, 6, 7, 8, 9);
    world.server.failNext(/\/branches\//, 1, { kind: "secondary-rate-limit", retryAfterSeconds: 90 });
    const result = await createGitHubSource({
      log: capture.log,
      retry: { ...FAST, rateLimitRetries: 0 },
      now: () => now,
    }).poll({
      repository: { owner: "acme", repo: "deploy", branch: "main", apiUrl: world.server.url, token: TOKEN },
      services: [{ name: "etcd", dir: "k8s/etcd" }],
      known: {},
    });
    expect(result).toMatchObject({
      status: "failed",
      error: { code: "E_SOURCE_RATE_LIMITED", until: new Date(now + 90_000).toISOString() },
    });
  });

  it("reports an exhausted rate limit with its reset time instead of waiting an hour", async () => {
    world.server.setRemaining(TOKEN, 0);

    const result = await poll();

    expect(result).toMatchObject({ status: "failed", error: { code: "E_SOURCE_RATE_LIMITED", status: 403 } });
    expect(result.status === "failed" && result.error.message).toMatch(
      /rate limit reached until \d{4}-\d\d-\d\dT/,
    );
    expect(world.server.counts().total).toBe(1);
  });

  it("never puts the token in an error, a result or a log line, at any level", async () => {
    const results: PollResult[] = [];
    results.push(await poll());
    world.server.failNext(/\/branches\//, 10, { kind: "status", status: 500, message: `echo ${TOKEN}` });
    results.push(await poll());
    world.server.failNext(/\/branches\//, 10, { kind: "drop" });
    results.push(await poll());
    results.push(await poll({ repo: "missing" }));
    world.server.setRemaining(TOKEN, 0);
    results.push(await poll());

    expect(results.map((result) => result.status)).toEqual([
      "changed",
      "failed",
      "failed",
      "failed",
      "failed",
    ]);
    expect(capture.lines.filter((line) => line.level === "debug").length).toBeGreaterThan(0);
    expect(dump(results)).not.toContain(TOKEN);
    expect(dump(capture.lines)).not.toContain(TOKEN);
    expect(dump(results)).toContain("echo [REDACTED]");
  });
});
