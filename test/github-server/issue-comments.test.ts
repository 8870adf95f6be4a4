import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubWorld, type GitHubWorld } from "./harness.js";
import { MAX_COMMENT_BODY } from "./issue-comments.js";
import { schemaErrors } from "./openapi.js";

const TOKEN = "ghp_comments_test_token_00000000000000000000";
const ON_ISSUE = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
const ONE = "/repos/{owner}/{repo}/issues/comments/{comment_id}";

describe("GitHub test server: issue comments", () => {
  let world: GitHubWorld;
  let pull: number;
  const call = (method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
    fetch(`${world.server.url}${path}`, {
      method,
      headers: token === null ? {} : { authorization: `token ${token}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    world = await createGitHubWorld();
    const repo = await world.addRepo("org", "gitops", TOKEN);
    await repo.commit({ "web/a.yaml": "a: 1\n" });
    await repo.commitTo("change", { "web/a.yaml": "a: 2\n" });
    pull = world.server.pulls.open("org", "gitops", { head: "change" });
  });
  afterAll(() => world.close());

  it("creates, lists and edits a comment with GitHub's shapes, oldest first", async () => {
    world.server.comments.add("org", "gitops", pull, "LGTM", "a-person");
    const request = { body: "<!-- marker -->\npreview 1" };
    expect(schemaErrors("POST", ON_ISSUE, "request", request)).toEqual([]);
    const created = await call("POST", `/repos/org/gitops/issues/${pull}/comments`, request);
    expect(created.status).toBe(201);
    const comment = (await created.json()) as { id: number; body: string };
    expect(schemaErrors("POST", ON_ISSUE, "201", comment)).toEqual([]);

    const edited = await call("PATCH", `/repos/org/gitops/issues/comments/${comment.id}`, {
      body: "preview 2",
    });
    expect(edited.status).toBe(200);
    expect(schemaErrors("PATCH", ONE, "200", await edited.json())).toEqual([]);

    const listed = await call("GET", `/repos/org/gitops/issues/${pull}/comments`);
    const list = (await listed.json()) as { id: number; body: string; user: { login: string } }[];
    expect(schemaErrors("GET", ON_ISSUE, "200", list)).toEqual([]);
    expect(list.map((c) => [c.user.login, c.body])).toEqual([
      ["a-person", "LGTM"],
      ["gitops-bot", "preview 2"],
    ]);
    expect(world.server.comments.comments.find((c) => c.id === comment.id)?.edits).toBe(1);
    expect(world.server.comments.rejected).toEqual([]);
  });

  it("answers an unchanged list 304 uncharged", async () => {
    const first = await call("GET", `/repos/org/gitops/issues/${pull}/comments`);
    world.server.resetRequests();
    const again = await fetch(`${world.server.url}/repos/org/gitops/issues/${pull}/comments`, {
      headers: { authorization: `token ${TOKEN}`, "if-none-match": first.headers.get("etag") ?? "" },
    });
    expect(again.status).toBe(304);
    expect(world.server.counts().charged).toBe(0);
  });

  it("refuses a body over 65 536 characters, or one the schema refuses, with 422", async () => {
    const before = world.server.comments.comments.length;
    const long = await call("POST", `/repos/org/gitops/issues/${pull}/comments`, {
      body: "x".repeat(MAX_COMMENT_BODY + 1),
    });
    expect(long.status).toBe(422);
    expect(JSON.stringify(await long.json())).toContain("body is too long");
    expect(
      (await call("POST", `/repos/org/gitops/issues/${pull}/comments`, { text: "no body" })).status,
    ).toBe(422);
    const fits = await call("POST", `/repos/org/gitops/issues/${pull}/comments`, {
      body: "x".repeat(MAX_COMMENT_BODY),
    });
    expect(fits.status).toBe(201);
    expect(world.server.comments.comments.length).toBe(before + 1);
  });

  it.each([
    ["a write without a token", "POST", `/comments`, null, 401],
    ["an unknown issue", "POST", "/999/comments", TOKEN, 404],
  ])("answers %s with the status GitHub gives", async (_name, method, tail, token, status) => {
    const path = tail.startsWith("/999")
      ? `/repos/org/gitops/issues${tail}`
      : `/repos/org/gitops/issues/${pull}${tail}`;
    expect((await call(method, path, { body: "x" }, token)).status).toBe(status);
  });

  it("answers 404 for editing a comment that does not exist", async () => {
    expect((await call("PATCH", "/repos/org/gitops/issues/comments/424242", { body: "x" })).status).toBe(404);
  });
});
