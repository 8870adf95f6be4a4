import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GitRepo } from "../../test/github-server/git-repo.js";
import { createGitHubWorld, type GitHubWorld } from "../../test/github-server/harness.js";
import { createGitHubClient, type GitHubClient } from "../source/github-client.js";
import type { SourceRepository } from "../source/source.js";
import { listOpenPulls, type PullListCache } from "./list-pulls.js";
import { pullPaths } from "./pull-files.js";
import { writeComment } from "./write-comment.js";

const TOKEN = "ghp_preview_calls_token_000000000000000000";
const signal = new AbortController().signal;

describe("the GitHub calls of previews, against the GitHub test server", () => {
  let world: GitHubWorld;
  let repo: GitRepo;
  let client: GitHubClient;
  let repository: SourceRepository;

  beforeAll(async () => {
    world = await createGitHubWorld();
    repo = await world.addRepo("org", "gitops", TOKEN);
    await repo.commit({ "web/a.yaml": "a: 1\n", "web/b.yaml": "b: 1\n" });
    repository = { owner: "org", repo: "gitops", branch: "main", apiUrl: world.server.url, token: TOKEN };
    client = createGitHubClient({
      apiUrl: world.server.url,
      token: TOKEN,
      log: pino({ level: "silent" }),
      retry: { retries: 0, rateLimitRetries: 0, maxRetryAfterSeconds: 0, baseMs: 1 },
    });
  });
  afterAll(() => world.close());

  it("lists open pull requests into the branch, then costs one uncharged 304 while nothing changes", async () => {
    const head = await repo.commitTo("scale", { "web/a.yaml": "a: 2\n" });
    await repo.commitTo("forked", { "web/b.yaml": "b: 2\n" });
    const own = world.server.pulls.open("org", "gitops", { head: "scale", title: "Scale" });
    const fork = world.server.pulls.open("org", "gitops", { head: "forked", fork: "stranger" });
    world.server.pulls.open("org", "gitops", { head: "scale", base: "release" });
    const cache: PullListCache = new Map();
    const first = await listOpenPulls(client, repository, "main", cache, signal);
    expect(first.changed).toBe(true);
    expect(first.pulls.map((p) => [p.number, p.headSha === head, p.fork]).sort()).toEqual(
      [
        [own, true, false],
        [fork, false, true],
      ].sort(),
    );
    world.server.resetRequests();
    for (let i = 0; i < 5; i++)
      expect((await listOpenPulls(client, repository, "main", cache, signal)).changed).toBe(false);
    expect(world.server.counts()).toEqual({ total: 5, notModified: 5, charged: 0 });

    const pushed = await repo.commitTo("scale", { "web/a.yaml": "a: 3\n" });
    world.server.pulls.close("org", "gitops", fork);
    const after = await listOpenPulls(client, repository, "main", cache, signal);
    expect(after.changed).toBe(true);
    expect(after.pulls.map((p) => [p.number, p.headSha])).toEqual([[own, pushed]]);
  });

  it("lists every path a pull request changes, a rename's old path too, page after page", async () => {
    const many: Record<string, string | null> = { "web/a.yaml": null, "web/renamed.yaml": "a: 1\n" };
    for (let i = 0; i < 130; i++) many[`many/${i}.yaml`] = `i: ${i}\n`;
    await repo.commitTo("big", many);
    const number = world.server.pulls.open("org", "gitops", { head: "big" });
    const changed = await pullPaths(client, repository, number, signal);
    expect(changed.complete).toBe(true);
    expect(changed.paths).toHaveLength(132);
    expect(changed.paths).toEqual(
      expect.arrayContaining(["web/renamed.yaml", "web/a.yaml", "many/129.yaml"]),
    );
  });

  it("writes one comment, edits it in place, and finds it again by its marker after a restart", async () => {
    await repo.commitTo("commented", { "web/b.yaml": "b: 9\n" });
    const number = world.server.pulls.open("org", "gitops", { head: "commented" });
    world.server.comments.add(
      "org",
      "gitops",
      number,
      "Please look <!-- simple-gitops:preview cluster=x -->",
      "a-person",
    );
    const marker = "<!-- simple-gitops:preview cluster=x -->";
    const mine = () =>
      world.server.comments.comments.filter((c) => c.issue === number && c.author !== "a-person");
    const first = await writeComment(
      client,
      repository,
      { number, body: `${marker}\none`, marker },
      undefined,
      signal,
    );
    const second = await writeComment(
      client,
      repository,
      { number, body: `${marker}\ntwo`, marker },
      first,
      signal,
    );
    expect(second.id).toBe(first.id);
    // A restarted controller knows no comment: it finds its own by the marker it starts with.
    const third = await writeComment(
      client,
      repository,
      { number, body: `${marker}\nthree`, marker },
      undefined,
      signal,
    );
    expect(third.id).toBe(first.id);
    expect(mine().map((c) => [c.id, c.body, c.edits])).toEqual([[first.id, `${marker}\nthree`, 2]]);

    world.server.resetRequests();
    const same = await writeComment(
      client,
      repository,
      { number, body: `${marker}\nthree`, marker },
      third,
      signal,
    );
    expect(same).toEqual(third);
    expect(world.server.counts().total).toBe(0);
  });
});
