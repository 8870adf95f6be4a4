import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitText } from "./git.js";
import type { FileChange, GitRepo } from "./git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "./harness.js";
import { schemaErrors } from "./openapi.js";

const TOKEN = "ghp_pulls_test_token_0000000000000000000000";
const LIST = "/repos/{owner}/{repo}/pulls";
const FILES = "/repos/{owner}/{repo}/pulls/{pull_number}/files";

interface Pull {
  number: number;
  state: string;
  head: { sha: string; ref: string; repo: { full_name: string; fork: boolean } | null };
  base: { ref: string; repo: { full_name: string } };
}
interface File {
  filename: string;
  status: string;
  previous_filename?: string;
  sha: string;
}

describe("GitHub test server: pull requests and their files", () => {
  let world: GitHubWorld;
  let repo: GitRepo;
  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${world.server.url}${path}`, { headers: { authorization: `token ${TOKEN}`, ...headers } });

  beforeAll(async () => {
    world = await createGitHubWorld();
    repo = await world.addRepo("org", "gitops", TOKEN);
    await repo.commit({ "web/a.yaml": "a: 1\n", "web/b.yaml": "b: 1\n", "db/c.yaml": "c: 1\n" });
    // GitHub's description takes seconds to read and compile under load: here, not within the first test's 5 s.
    for (const path of [LIST, FILES]) schemaErrors("GET", path, "200", []);
  }, 120_000);
  afterAll(() => world.close());

  it("lists open pull requests into a branch with GitHub's shape, a fork's head repository its own", async () => {
    const head = await repo.commitTo("scale", { "web/a.yaml": "a: 2\n" });
    await repo.commitTo("from-fork", { "db/c.yaml": "c: 2\n" });
    const own = world.server.pulls.open("org", "gitops", { head: "scale", title: "Scale web" });
    const forked = world.server.pulls.open("org", "gitops", { head: "from-fork", fork: "stranger" });
    world.server.pulls.open("org", "gitops", { head: "scale", base: "release" });

    const response = await get("/repos/org/gitops/pulls?state=open&base=main&per_page=100");
    expect(response.status).toBe(200);
    const body = (await response.json()) as Pull[];
    expect(schemaErrors("GET", LIST, "200", body)).toEqual([]);
    expect(body.map((pull) => pull.number).sort()).toEqual([own, forked].sort());
    const scale = body.find((pull) => pull.number === own);
    expect(scale?.head).toMatchObject({
      sha: head,
      ref: "scale",
      repo: { full_name: "org/gitops", fork: false },
    });
    const fork = body.find((pull) => pull.number === forked);
    expect(fork?.head.repo).toMatchObject({ full_name: "stranger/gitops", fork: true });
    expect(fork?.base.repo.full_name).toBe("org/gitops");
  });

  it("answers an unchanged list 304 uncharged, and a push to a head changes its ETag", async () => {
    const first = await get("/repos/org/gitops/pulls?base=main");
    const etag = first.headers.get("etag") ?? "";
    world.server.resetRequests();
    const again = await get("/repos/org/gitops/pulls?base=main", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(world.server.counts()).toEqual({ total: 1, notModified: 1, charged: 0 });

    const pushed = await repo.commitTo("scale", { "web/b.yaml": "b: 2\n" });
    const after = await get("/repos/org/gitops/pulls?base=main", { "if-none-match": etag });
    expect(after.status).toBe(200);
    const pulls = (await after.json()) as Pull[];
    expect(pulls.map((pull) => pull.head.sha)).toContain(pushed);
    expect(world.server.counts().charged).toBe(1);
  });

  it("leaves a closed pull request out of the open list", async () => {
    await repo.commitTo("short-lived", { "web/x.yaml": "x: 1\n" });
    const number = world.server.pulls.open("org", "gitops", { head: "short-lived" });
    const listed = async () =>
      ((await (await get("/repos/org/gitops/pulls?base=main")).json()) as Pull[]).map((pull) => pull.number);
    expect(await listed()).toContain(number);
    world.server.pulls.close("org", "gitops", number, { merged: true });
    expect(await listed()).not.toContain(number);
    const closed = (await (await get("/repos/org/gitops/pulls?state=closed")).json()) as Pull[];
    expect(schemaErrors("GET", LIST, "200", closed)).toEqual([]);
    expect(closed.map((pull) => pull.number)).toContain(number);
  });

  it("lists a pull request's files since its merge base: added, modified, removed and renamed", async () => {
    await repo.commitTo("mixed", {
      "web/a.yaml": "a: 3\n",
      "web/new.yaml": "n: 1\n",
      "web/b.yaml": null,
    });
    await repo.commitTo("mixed", {});
    const number = world.server.pulls.open("org", "gitops", { head: "mixed" });
    // A change on the base branch after the pull request branched is not one of its files.
    await repo.commit({ "db/later.yaml": "l: 1\n" });
    const response = await get(`/repos/org/gitops/pulls/${number}/files?per_page=100`);
    const files = (await response.json()) as File[];
    expect(schemaErrors("GET", FILES, "200", files)).toEqual([]);
    expect(files.map((file) => [file.filename, file.status]).sort()).toEqual([
      ["web/a.yaml", "modified"],
      ["web/b.yaml", "removed"],
      ["web/new.yaml", "added"],
    ]);
    const sha = await gitText(repo.dir, ["rev-parse", "mixed:web/new.yaml"]);
    expect(files.find((file) => file.filename === "web/new.yaml")?.sha).toBe(sha);
  });

  it("names a renamed file's previous path and pages the list with a Link header", async () => {
    // The same content under a new path: git (and GitHub) call it a rename.
    const many: Record<string, FileChange> = { "web/a.yaml": null, "web/moved.yaml": "a: 1\n" };
    for (let i = 0; i < 4; i++) many[`extra/${i}.yaml`] = `i: ${i}\n`;
    await repo.commitTo("paged", many);
    const number = world.server.pulls.open("org", "gitops", { head: "paged" });
    const first = await get(`/repos/org/gitops/pulls/${number}/files?per_page=2`);
    expect(first.headers.get("link")).toMatch(/rel="next".*rel="last"/);
    const all: File[] = [];
    let next: string | undefined = `/repos/org/gitops/pulls/${number}/files?per_page=2`;
    while (next !== undefined) {
      const page = await get(next);
      all.push(...((await page.json()) as File[]));
      const link = /<([^>]+)>; rel="next"/.exec(page.headers.get("link") ?? "")?.[1];
      next = link === undefined ? undefined : new URL(link).pathname + new URL(link).search;
    }
    expect(all).toHaveLength(5);
    expect(all.find((file) => file.status === "renamed")).toMatchObject({
      filename: "web/moved.yaml",
      previous_filename: "web/a.yaml",
    });
  });

  it("answers 404 for an unknown pull request, and for a token that cannot see the repository", async () => {
    expect((await get("/repos/org/gitops/pulls/999/files")).status).toBe(404);
    world.server.allowToken("ghp_other_00000000000000000000000000000000");
    const other = await fetch(`${world.server.url}/repos/org/gitops/pulls`, {
      headers: { authorization: "token ghp_other_00000000000000000000000000000000" },
    });
    expect(other.status).toBe(404);
  });
});
