import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitText } from "./git.js";
import { createGitRepo, type GitRepo } from "./git-repo.js";
import { openapiValidator } from "./openapi.js";
import { createGitHubServer, type GitHubTestServer } from "./server.js";

function expectValid(path: string, status: string, body: unknown) {
  const validate = openapiValidator("GET", path, status);
  const valid = validate(body);
  expect(validate.errors ?? [], `${status} ${path}`).toEqual([]);
  expect(valid).toBe(true);
}

const BRANCH = "/repos/{owner}/{repo}/branches/{branch}";
const TREE = "/repos/{owner}/{repo}/git/trees/{tree_sha}";
const BLOB = "/repos/{owner}/{repo}/git/blobs/{file_sha}";
const COMMIT = "/repos/{owner}/{repo}/git/commits/{commit_sha}";
const TOKEN = "ghp_servertesttoken0000000000000000000000";

describe("GitHub test server", () => {
  let server: GitHubTestServer;
  let repo: GitRepo;
  let head: string;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, { headers: { authorization: `token ${TOKEN}`, ...headers } });

  beforeAll(async () => {
    repo = await createGitRepo();
    head = await repo.commit({
      "k8s/app/deploy.yaml": "kind: Deployment\n",
      "k8s/app/nested/cm.yml": "kind: ConfigMap\n",
      "README.md": "# hi\n",
      "bin/blob.bin": new Uint8Array([0, 1, 2, 255]),
    });
    head = await repo.commit({ "k8s/app/svc.json": '{"kind":"Service"}\n' }, "second\n\nwith a body");
    server = await createGitHubServer();
    server.addRepo({ owner: "acme", repo: "deploy", dir: repo.dir, token: TOKEN });
    // Reading GitHub's description (tens of MB) and compiling its schemas takes seconds on a loaded machine: here,
    // under the hook's own bound, not within the first test's 5 s.
    for (const path of [BRANCH, TREE, BLOB, COMMIT]) openapiValidator("GET", path, "200");
  }, 120_000);
  afterAll(async () => {
    await server.close();
    await repo.remove();
  });

  it("serves a branch matching GitHub's Branch With Protection schema, with real SHAs", async () => {
    const response = await get("/repos/acme/deploy/branches/main");
    expect(response.status).toBe(200);
    const body = (await response.json()) as { commit: { sha: string; commit: { tree: { sha: string } } } };
    expectValid(BRANCH, "200", body);
    expect(body.commit.sha).toBe(head);
    expect(body.commit.commit.tree.sha).toBe(await gitText(repo.dir, ["rev-parse", "HEAD^{tree}"]));
  });

  it("rejects a body that drifted from the schema, so the checks above can fail", async () => {
    const body = (await (await get("/repos/acme/deploy/branches/main")).json()) as {
      commit: Record<string, unknown>;
    };
    delete body.commit.sha;
    const validate = openapiValidator("GET", BRANCH, "200");
    expect(validate(body)).toBe(false);
    expect(validate.errors).toContainEqual(
      expect.objectContaining({ message: "must have required property 'sha'" }),
    );
  });

  it("sends the GitHub and rate-limit headers GitHub sent in @octokit/fixtures' recorded JSON GET", async () => {
    const recorded =
      require("@octokit/fixtures/scenarios/api.github.com/get-content/normalized-fixture.json") as {
        method: string;
        status: number;
        headers: Record<string, string>;
      }[];
    const json = recorded.find(
      (entry) =>
        entry.method === "get" &&
        entry.status === 200 &&
        entry.headers["x-github-media-type"]?.endsWith("json"),
    );
    const names = Object.keys(json?.headers ?? {}).filter(
      (name) =>
        name.startsWith("x-ratelimit-") ||
        ["etag", "content-type", "x-github-media-type", "x-github-request-id", "cache-control"].includes(
          name,
        ),
    );
    expect(names.length).toBeGreaterThanOrEqual(9);
    const response = await get("/repos/acme/deploy/branches/main");
    for (const name of names) expect(response.headers.has(name), name).toBe(true);
    expect(response.headers.get("content-type")).toBe(json?.headers["content-type"]);
    expect(response.headers.get("x-github-media-type")).toBe(json?.headers["x-github-media-type"]);
  });

  it("serves recursive, plain and truncated trees matching GitHub's Git Tree schema", async () => {
    const branch = (await (await get("/repos/acme/deploy/branches/main")).json()) as {
      commit: { commit: { tree: { sha: string } } };
    };
    const tree = branch.commit.commit.tree.sha;
    const recursive = (await (await get(`/repos/acme/deploy/git/trees/${tree}?recursive=1`)).json()) as {
      tree: { path: string; type: string; sha: string }[];
      truncated: boolean;
    };
    expectValid(TREE, "200", recursive);
    expect(recursive.truncated).toBe(false);
    expect(recursive.tree.map((entry) => entry.path)).toContain("k8s/app/nested/cm.yml");
    expect(recursive.tree.find((entry) => entry.path === "k8s/app/deploy.yaml")?.sha).toBe(
      await repo.blobSha("k8s/app/deploy.yaml"),
    );
    const plain = await (await get(`/repos/acme/deploy/git/trees/${tree}`)).json();
    expectValid(TREE, "200", plain);
    server.setTreeLimit(2);
    const truncated = (await (await get(`/repos/acme/deploy/git/trees/${tree}?recursive=1`)).json()) as {
      tree: unknown[];
      truncated: boolean;
    };
    server.setTreeLimit(undefined);
    expectValid(TREE, "200", truncated);
    expect(truncated).toMatchObject({ truncated: true });
    expect(truncated.tree).toHaveLength(2);
  });

  it("serves blobs matching GitHub's Blob schema, binary bytes intact", async () => {
    const sha = await repo.blobSha("bin/blob.bin");
    const response = await get(`/repos/acme/deploy/git/blobs/${sha}`);
    const body = (await response.json()) as { content: string; encoding: string; size: number };
    expectValid(BLOB, "200", body);
    expect(body.encoding).toBe("base64");
    expect([...Buffer.from(body.content, "base64")]).toEqual([0, 1, 2, 255]);
    expect(body.size).toBe(4);
  });

  it("serves a commit object matching GitHub's Git Commit schema, its tree and parent as git has them", async () => {
    const first = await gitText(repo.dir, ["rev-parse", "HEAD~1"]);
    const response = await get(`/repos/acme/deploy/git/commits/${first}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { sha: string; tree: { sha: string }; parents: unknown[] };
    expectValid(COMMIT, "200", body);
    expect(body.sha).toBe(first);
    expect(body.tree.sha).toBe(await gitText(repo.dir, ["rev-parse", `${first}^{tree}`]));
    expect(body.parents).toEqual([]);
    const second = (await (await get(`/repos/acme/deploy/git/commits/${head}`)).json()) as {
      parents: { sha: string }[];
      message: string;
    };
    expect(second.parents.map((parent) => parent.sha)).toEqual([first]);
    expect(second.message).toBe("second\n\nwith a body");
  });

  it("answers 404s with GitHub's Basic Error body for a missing repo, branch, commit, tree and blob", async () => {
    const tree = await gitText(repo.dir, ["rev-parse", "HEAD^{tree}"]);
    const cases = [
      ["/repos/acme/nope/branches/main", BRANCH, "Not Found"],
      ["/repos/acme/deploy/branches/nope", BRANCH, "Branch not found"],
      [`/repos/acme/deploy/git/commits/${"0".repeat(40)}`, COMMIT, "Not Found"],
      // A tree's SHA is an object of the repository, but not a commit.
      [`/repos/acme/deploy/git/commits/${tree}`, COMMIT, "Not Found"],
      [`/repos/acme/deploy/git/trees/${"0".repeat(40)}`, TREE, "Not Found"],
      [`/repos/acme/deploy/git/blobs/${"0".repeat(40)}`, BLOB, "Not Found"],
    ] as const;
    for (const [path, schemaPath, message] of cases) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      const body = await response.json();
      expectValid(schemaPath, "404", body);
      expect(body).toMatchObject({ message, status: "404" });
    }
  });

  it("hides a token-protected repository behind 404 and rejects an unknown token with 401", async () => {
    const anonymous = await fetch(`${server.url}/repos/acme/deploy/branches/main`);
    expect(anonymous.status).toBe(404);
    const wrong = await get("/repos/acme/deploy/branches/main", {
      authorization: "token ghp_wrong_token_1234567890",
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ message: "Bad credentials", status: "401" });
  });

  it("answers a matching If-None-Match with 304 without charging the rate limit", async () => {
    server.resetRequests();
    const first = await get("/repos/acme/deploy/branches/main");
    const etag = first.headers.get("etag") ?? "";
    const remaining = Number(first.headers.get("x-ratelimit-remaining"));
    expect(etag).toMatch(/^W\/"[0-9a-f]+"$/);
    const second = await get("/repos/acme/deploy/branches/main", { "if-none-match": etag });
    expect(second.status).toBe(304);
    expect(Number(second.headers.get("x-ratelimit-remaining"))).toBe(remaining);
    expect(second.headers.get("x-ratelimit-resource")).toBe("core");
    expect(server.counts()).toEqual({ total: 2, notModified: 1, charged: 1 });
    await repo.commit({ "k8s/app/deploy.yaml": "kind: Deployment\nmetadata: {name: moved}\n" });
    const moved = await get("/repos/acme/deploy/branches/main", { "if-none-match": etag });
    expect(moved.status).toBe(200);
    expect(Number(moved.headers.get("x-ratelimit-remaining"))).toBe(remaining - 1);
    expect(Number(moved.headers.get("x-ratelimit-used"))).toBe(5000 - remaining + 1);
  });

  it("serves the same endpoints under /api/v3 with Enterprise URLs", async () => {
    const response = await get("/api/v3/repos/acme/deploy/branches/main");
    const body = (await response.json()) as { _links: { self: string } };
    expectValid(BRANCH, "200", body);
    expect(body._links.self).toBe(`${server.url}/api/v3/repos/acme/deploy/branches/main`);
  });

  it("injects failures for the next N matching requests, then answers normally", async () => {
    server.failNext(/\/branches\//, 2, { kind: "status", status: 502 });
    expect((await get("/repos/acme/deploy/branches/main")).status).toBe(502);
    expect((await get("/repos/acme/deploy/branches/main")).status).toBe(502);
    expect((await get("/repos/acme/deploy/branches/main")).status).toBe(200);
    server.failNext("/repos/acme/deploy/branches/main", 1, { kind: "drop" });
    await expect(get("/repos/acme/deploy/branches/main")).rejects.toThrow();
    server.failNext(/\/branches\//, 1, { kind: "secondary-rate-limit", retryAfterSeconds: 7 });
    const limited = await get("/repos/acme/deploy/branches/main");
    expect(limited.status).toBe(403);
    expect(limited.headers.get("retry-after")).toBe("7");
  });
});
