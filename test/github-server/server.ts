import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createTestApps, type TestApps } from "./app-auth.js";
import { archiveHeaders, createArchives } from "./archive.js";
import { conditionalAnswer } from "./etag.js";
import { createFaults, failureAnswer, type InjectedFailure, sendDamaged } from "./faults.js";
import { createGitObjects, type GitObjects } from "./git-objects.js";
import { createIssueComments, type IssueComments } from "./issue-comments.js";
import { createPullRequests, type PullRequests } from "./pulls.js";
import { createRateLimits } from "./rate-limits.js";
import { blobBody, branchBody, commitBody, DOCS, errorBody, type RepoUrls, treeBody } from "./responses.js";
import { createStatusLog, type StatusLog } from "./statuses.js";

export type { InjectedFailure } from "./faults.js";

/** ServedRepo is a repository the server answers for; with a `token`, only that token may read it. */
export interface ServedRepo {
  readonly owner: string;
  readonly repo: string;
  /** The git repository on disk, e.g. a GitRepo's `dir`. */
  readonly dir: string;
  readonly token?: string;
}

/** RequestRecord is one request as the server saw it. */
export interface RequestRecord {
  readonly method: string;
  /** Path and query, without the `/api/v3` prefix of GitHub Enterprise. */
  readonly path: string;
  /** The status sent, or `0` when the connection was dropped on purpose. */
  readonly status: number;
  /** Whether GitHub would count it against the primary rate limit. */
  readonly charged: boolean;
  readonly conditional: boolean;
  /** Whether it came under the `/api/v3` prefix of GitHub Enterprise. */
  readonly enterprise: boolean;
  /** The kind of the failure injected into it, if one was. */
  readonly fault?: InjectedFailure["kind"];
}

/** RequestCounts summarizes a request log. */
export interface RequestCounts {
  readonly total: number;
  readonly notModified: number;
  readonly charged: number;
}

/** GitHubTestServer is a local stand-in for the GitHub REST endpoints the GitHub source uses. */
export interface GitHubTestServer {
  /** `http://127.0.0.1:<port>`; the same endpoints also answer under `/api/v3`, as GitHub Enterprise does. */
  readonly url: string;
  addRepo(repo: ServedRepo): void;
  /** allowToken makes a token valid without tying it to a repository (public repositories accept any valid one). */
  allowToken(token: string): void;
  /** setTreeLimit makes recursive trees with more entries than `limit` answer `truncated: true` (undefined: never). */
  setTreeLimit(limit: number | undefined): void;
  /** failNext makes the next `count` requests whose path matches answer `failure` instead. */
  failNext(match: string | RegExp, count: number, failure: InjectedFailure): void;
  /**
   * failRandom makes each request whose path matches fail with `probability`, drawn from a generator seeded by
   * `clearFailures` (default seed 1), so a storm is the same in every run.
   */
  failRandom(match: string | RegExp, probability: number, failure: InjectedFailure): void;
  /** clearFailures removes every injected failure and reseeds the generator. */
  clearFailures(seed?: number): void;
  /** revokeToken makes a token answer 401 until `allowToken` allows it again. */
  revokeToken(token: string): void;
  /** setRemaining sets what is left of a token's primary rate limit (undefined: anonymous). */
  setRemaining(token: string | undefined, remaining: number): void;
  readonly requests: readonly RequestRecord[];
  /** apps mint installation tokens for GitHub Apps (test/github-server/app-auth.ts). */
  readonly apps: TestApps;
  /** statuses records the commit statuses posted (test/github-server/statuses.ts). */
  readonly statuses: StatusLog;
  /** pulls opens and closes pull requests (test/github-server/pulls.ts). */
  readonly pulls: Pick<PullRequests, "open" | "close">;
  /** comments holds the comments on issues and pull requests (test/github-server/issue-comments.ts). */
  readonly comments: Pick<IssueComments, "comments" | "rejected" | "add">;
  counts(filter?: (record: RequestRecord) => boolean): RequestCounts;
  resetRequests(): void;
  close(): Promise<void>;
}

interface Repo extends ServedRepo {
  readonly objects: GitObjects;
  readonly id: number;
}

type Answer = {
  status: number;
  body?: unknown;
  /** A body sent as these bytes rather than as JSON. */
  raw?: Buffer;
  headers?: Record<string, string>;
  charged: boolean;
};

const ENTERPRISE_PREFIX = "/api/v3";

/**
 * createGitHubServer starts the server on 127.0.0.1 and a free port. It serves `GET` of a branch, a commit object, a
 * tree (recursive or not), a blob and a commit's tarball (a 302 to a codeload-like URL on the same server, as GitHub
 * does), commit statuses, pull requests and their files (pulls.ts), and issue comments (issue-comments.ts) with
 * GitHub's shapes, weak ETags and 304s, per-token rate-limit headers (304s, 401s and 5xx are not charged, as on
 * GitHub), 401 for unknown tokens, 404 for what a token cannot see, and the failures a test injects.
 */
export async function createGitHubServer(): Promise<GitHubTestServer> {
  const repos = new Map<string, Repo>();
  const faults = createFaults();
  const archives = createArchives();
  const requests: RequestRecord[] = [];
  const limits = createRateLimits();
  const apps = createTestApps(limits);
  const statuses = createStatusLog(apps, limits, repos);
  const pulls = createPullRequests({ apps, limits, repos });
  const comments = createIssueComments({ apps, limits, repos }, pulls);
  let treeLimit: number | undefined;
  let nextRepoId = 1000;
  let url = "";

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const full = new URL(req.url ?? "/", "http://localhost");
    const enterprise = full.pathname.startsWith(`${ENTERPRISE_PREFIX}/`);
    const pathname = enterprise ? full.pathname.slice(ENTERPRISE_PREFIX.length) : full.pathname;
    const path = pathname + full.search;
    const conditional = req.headers["if-none-match"] !== undefined;
    const fault = faults.pick(pathname, path);
    const record = (status: number, charged: boolean) =>
      requests.push({
        method: req.method ?? "GET",
        path,
        status,
        charged,
        conditional,
        enterprise,
        ...(fault === undefined ? {} : { fault: fault.kind }),
      });

    if (fault?.kind === "drop" || fault?.kind === "hang") {
      record(0, false);
      return sendDamaged(req, res, { status: 0, headers: {}, body: Buffer.alloc(0) }, fault);
    }

    const token = parseToken(req.headers.authorization);
    const bucket = limits.bucket(token);
    const answer = async (result: Answer) => {
      const charged = result.charged && bucket.remaining > 0;
      if (charged) bucket.charge();
      const headers: Record<string, string> = {
        "content-type": "application/json; charset=utf-8",
        "x-github-media-type": "github.v3; format=json",
        "x-github-request-id": randomUUID(),
        "x-github-api-version-selected": "2022-11-28",
        ...bucket.headers(),
        ...result.headers,
      };
      const damaged = fault !== undefined && result.status < 300;
      record(damaged && fault.kind === "reset" ? 0 : result.status, charged);
      const body =
        result.raw ?? Buffer.from(result.body === undefined ? "" : JSON.stringify(result.body), "utf8");
      if (damaged) return sendDamaged(req, res, { status: result.status, headers, body }, fault);
      res.writeHead(result.status, headers);
      res.end(body.length === 0 ? undefined : body);
    };

    const replaced = fault === undefined ? undefined : failureAnswer(fault);
    if (replaced) return answer({ ...replaced, charged: false });
    // codeload answers for a signed URL, not for a token, and is not part of the REST API's rate limit.
    const download = archives.download(pathname, full.searchParams.get("token"));
    if (download !== undefined) {
      const repo = repos.get(download.repo);
      const bytes = repo && (await repo.objects.archive(download.sha, download.prefix));
      if (!bytes) return answer({ status: 404, body: errorBody("Not Found", 404), charged: false });
      return answer({ status: 200, raw: bytes, headers: archiveHeaders(download.prefix), charged: false });
    }
    // App installation tokens (a JWT, not a token), commit statuses, pull requests and their comments: routes that
    // check their own authentication.
    const apiRoot = enterprise ? `${url}${ENTERPRISE_PREFIX}` : url;
    const requestUrl = new URL(req.url ?? "/", url);
    const urlsFor = (repo: Repo): RepoUrls => ({
      api: apiRoot,
      web: url,
      owner: repo.owner,
      repo: repo.repo,
      id: repo.id,
    });
    const extra =
      (await apps.route(req, pathname, token)) ??
      (await statuses.route(req, pathname, token, apiRoot)) ??
      (await pulls.route(req, requestUrl, pathname, token, urlsFor)) ??
      (await comments.route(req, requestUrl, pathname, token, urlsFor));
    if (extra) return answer(extra);
    if (token !== undefined && !limits.knows(token)) {
      return answer({ status: 401, body: errorBody("Bad credentials", 401), charged: false });
    }
    if (bucket.remaining === 0) {
      return answer({
        status: 403,
        body: errorBody("API rate limit exceeded for user ID 1.", 403, DOCS.rateLimit),
        charged: false,
      });
    }
    if (req.method !== "GET")
      return answer({ status: 404, body: errorBody("Not Found", 404), charged: true });

    const route =
      /^\/repos\/([^/]+)\/([^/]+)\/(branches|git\/trees|git\/blobs|git\/commits|tarball)\/(.+)$/.exec(
        pathname,
      );
    const repoKey = route ? `${route[1]}/${route[2]}`.toLowerCase() : "";
    const repo = repos.get(repoKey);
    const kind = route?.[3];
    const docs =
      kind === "branches"
        ? DOCS.branch
        : kind === "git/trees"
          ? DOCS.tree
          : kind === "tarball"
            ? DOCS.tarball
            : kind === "git/commits"
              ? DOCS.commit
              : DOCS.blob;
    if (!route || !repo || !apps.canRead(repo, token)) {
      return answer({
        status: 404,
        body: errorBody("Not Found", 404, route ? docs : undefined),
        charged: true,
      });
    }
    const urls = urlsFor(repo);
    const param = decodeURIComponent(route[4] ?? "");
    if (kind === "tarball") {
      const sha = /^[0-9a-f]{40}$/.test(param) ? param : await repo.objects.resolveBranch(param);
      const exists =
        sha !== undefined &&
        (await repo.objects.commit(sha).then(
          () => true,
          () => false,
        ));
      if (sha === undefined || !exists)
        return answer({ status: 404, body: errorBody("Not Found", 404, docs), charged: true });
      const location = archives.sign(urls, repoKey, sha);
      return answer({ status: 302, headers: { location, "content-length": "0" }, charged: true });
    }
    let body: unknown;
    if (kind === "branches") {
      const sha = await repo.objects.resolveBranch(param);
      if (sha === undefined)
        return answer({ status: 404, body: errorBody("Branch not found", 404, docs), charged: true });
      body = branchBody(urls, param, await repo.objects.commit(sha));
    } else if (kind === "git/commits") {
      const commit = /^[0-9a-f]{40}$/.test(param)
        ? await repo.objects.commit(param).catch(() => undefined)
        : undefined;
      if (commit === undefined)
        return answer({ status: 404, body: errorBody("Not Found", 404, docs), charged: true });
      body = commitBody(urls, commit);
    } else if (kind === "git/trees") {
      const recursive = full.searchParams.has("recursive");
      const entries = await repo.objects.tree(param, recursive);
      if (entries === undefined)
        return answer({ status: 404, body: errorBody("Not Found", 404, docs), charged: true });
      body = treeBody(urls, param, entries, recursive ? treeLimit : undefined);
    } else {
      const bytes = await repo.objects.blob(param);
      if (bytes === undefined)
        return answer({ status: 404, body: errorBody("Not Found", 404, docs), charged: true });
      body = blobBody(urls, param, bytes);
    }
    return answer(conditionalAnswer(req, token, body));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      requests.push({
        method: req.method ?? "GET",
        path: req.url ?? "",
        status: 500,
        charged: false,
        conditional: false,
        enterprise: false,
      });
      res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(errorBody(`test server bug: ${String(error)}`, 500)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    addRepo(repo) {
      repos.set(`${repo.owner}/${repo.repo}`.toLowerCase(), {
        ...repo,
        objects: createGitObjects(repo.dir),
        id: nextRepoId++,
      });
      if (repo.token !== undefined) limits.allow(repo.token);
    },
    allowToken(token) {
      limits.allow(token);
    },
    setTreeLimit(limit) {
      treeLimit = limit;
    },
    failNext: faults.failNext,
    failRandom: faults.failRandom,
    clearFailures: faults.clear,
    revokeToken(token) {
      limits.revoke(token);
    },
    setRemaining(token, remaining) {
      limits.bucket(token).set(remaining);
    },
    requests,
    apps,
    statuses,
    pulls,
    comments,
    counts(filter = () => true) {
      const selected = requests.filter(filter);
      return {
        total: selected.length,
        notModified: selected.filter((record) => record.status === 304).length,
        charged: selected.filter((record) => record.charged).length,
      };
    },
    resetRequests() {
      requests.length = 0;
    },
    close() {
      for (const repo of repos.values()) repo.objects.close();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function parseToken(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(.+)$/i.exec(header ?? "");
  return match?.[1]?.trim();
}
