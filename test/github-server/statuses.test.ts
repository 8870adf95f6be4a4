import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubWorld, type GitHubWorld } from "./harness.js";
import { schemaErrors } from "./openapi.js";

const TOKEN = "ghp_statuses_test_token_000000000000000000";
const OPERATION = "/repos/{owner}/{repo}/statuses/{sha}";

describe("GitHub test server: commit statuses", () => {
  let world: GitHubWorld;
  let sha: string;
  const post = (body: unknown, at = sha, token: string | null = TOKEN) =>
    fetch(`${world.server.url}/repos/org/gitops/statuses/${at}`, {
      method: "POST",
      headers: token === null ? {} : { authorization: `token ${token}` },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    world = await createGitHubWorld();
    const repo = await world.addRepo("org", "gitops", TOKEN);
    sha = await repo.commit({ "web/a.yaml": "a: 1\n" });
  });
  afterAll(() => world.close());

  it("records a status and answers GitHub's 201 Status", async () => {
    const request = { state: "success", context: "simple-gitops/c/web", description: "ok", target_url: null };
    expect(schemaErrors("POST", OPERATION, "request", request)).toEqual([]);
    const response = await post(request);
    expect(response.status).toBe(201);
    const body = (await response.json()) as { state: string; context: string };
    expect(schemaErrors("POST", OPERATION, "201", body)).toEqual([]);
    expect(body).toMatchObject({ state: request.state, context: request.context });
    expect(world.server.statuses.statuses.at(-1)).toMatchObject({ sha, state: "success", token: TOKEN });
  });

  it("refuses a body GitHub's schema refuses with 422, and says why", async () => {
    const before = world.server.statuses.statuses.length;
    const response = await post({ state: "done", context: "x" });
    expect(response.status).toBe(422);
    expect(world.server.statuses.rejected.join("\n")).toContain("/state");
    expect(world.server.statuses.statuses.length).toBe(before);
  });

  it("refuses a SHA that is not a commit of the repository with 422", async () => {
    const response = await post({ state: "pending" }, "0".repeat(40));
    expect(response.status).toBe(422);
    expect(((await response.json()) as { message: string }).message).toMatch(/^No commit found for SHA/);
  });

  it.each([
    ["no token", null, 401],
    ["an unknown token", "ghp_nobody", 401],
  ])("answers %s with 401", async (_name, token, status) => {
    expect((await post({ state: "pending" }, sha, token)).status).toBe(status);
  });

  it("answers 404 for a token that cannot see the repository", async () => {
    world.server.allowToken("ghp_someone_else_000000000000000000000000");
    expect((await post({ state: "pending" }, sha, "ghp_someone_else_000000000000000000000000")).status).toBe(
      404,
    );
  });
});
