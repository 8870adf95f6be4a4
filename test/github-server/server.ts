import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createGitObjects, type GitObjects } from "./git-objects.js";
import { createRateLimits } from "./rate-limits.js";
import { blobBody, branchBody, DOCS, errorBody, type RepoUrls, treeBody } from "./responses.js";

/** ServedRepo is a repository the server answers for; with a `token`, only that token may read it. */
export interface ServedRepo {
  readonly owner: string;
  readonly repo: string;
  /** The git repository on disk, e.g. a GitRepo's `dir`. */
  readonly dir: string;
  readonly token?: string;
}

/** InjectedFailure is what an injected failure answers instead of the real response. */
export type InjectedFailure =
  | { readonly kind: "status"; readonly status: number; readonly message?: string }
  | { readonly kind: "drop" }
  | { readonly kind: "secondary-rate-limit"; readonly retryAfterSeconds: number };

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
  /** setRemaining sets what is left of a token's primary rate limit (undefined: anonymous). */
  setRemaining(token: string | undefined, remaining: number): void;
  readonly requests: readonly RequestRecord[];
  counts(filter?: (record: RequestRecord) => boolean): RequestCounts;
  resetRequests(): void;
  close(): Promise<void>;
}

interface Repo extends ServedRepo {
  readonly objects: GitObjects;
  readonly id: number;
}

interface Rule {
  readonly match: string | RegExp;
  remaining: number;
  readonly failure: InjectedFailure;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string>; charged: boolean };

const ENTERPRISE_PREFIX = "/api/v3";

/**
 * createGitHubServer starts the server on 127.0.0.1 and a free port. It serves `GET` of a branch, a tree (recursive
 * or not) and a blob with GitHub's shapes, weak ETags and 304s, per-token rate-limit headers (304s, 401s and 5xx
 * are not charged, as on GitHub), 401 for unknown tokens, and 404 for what a token cannot see.
 */
export async function createGitHubServer(): Promise<GitHubTestServer> {
  const repos = new Map<string, Repo>();
  const rules: Rule[] = [];
  const requests: RequestRecord[] = [];
  const limits = createRateLimits();
  let treeLimit: number | undefined;
  let nextRepoId = 1000;
  let url = "";

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const full = new URL(req.url ?? "/", "http://localhost");
    const enterprise = full.pathname.startsWith(`${ENTERPRISE_PREFIX}/`);
    const pathname = enterprise ? full.pathname.slice(ENTERPRISE_PREFIX.length) : full.pathname;
    const path = pathname + full.search;
    const conditional = req.headers["if-none-match"] !== undefined;
    const record = (status: number, charged: boolean) =>
      requests.push({ method: req.method ?? "GET", path, status, charged, conditional, enterprise });

    const rule = rules.find(
      (candidate) => candidate.remaining > 0 && matches(candidate.match, pathname, path),
    );
    if (rule) {
      rule.remaining -= 1;
      if (rule.failure.kind === "drop") {
        record(0, false);
        req.socket.destroy();
        return;
      }
    }

    const token = parseToken(req.headers.authorization);
    const bucket = limits.bucket(token);
    const answer = (result: Answer) => {
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
      record(result.status, charged);
      res.writeHead(result.status, headers);
      res.end(result.body === undefined ? undefined : JSON.stringify(result.body));
    };

    if (rule && rule.failure.kind === "status") {
      return answer({
        status: rule.failure.status,
        body: errorBody(rule.failure.message ?? "Server Error", rule.failure.status),
        charged: false,
      });
    }
    if (rule && rule.failure.kind === "secondary-rate-limit") {
      return answer({
        status: 403,
        body: errorBody(
          "You have exceeded a secondary rate limit. Please wait a few minutes.",
          403,
          DOCS.secondaryRateLimit,
        ),
        headers: { "retry-after": String(rule.failure.retryAfterSeconds) },
        charged: false,
      });
    }
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

    const route = /^\/repos\/([^/]+)\/([^/]+)\/(branches|git\/trees|git\/blobs)\/(.+)$/.exec(pathname);
    const repo = route ? repos.get(`${route[1]}/${route[2]}`.toLowerCase()) : undefined;
    const kind = route?.[3];
    const docs = kind === "branches" ? DOCS.branch : kind === "git/trees" ? DOCS.tree : DOCS.blob;
    if (!route || !repo || (repo.token !== undefined && repo.token !== token)) {
      return answer({
        status: 404,
        body: errorBody("Not Found", 404, route ? docs : undefined),
        charged: true,
      });
    }
    const urls: RepoUrls = {
      api: enterprise ? `${url}${ENTERPRISE_PREFIX}` : url,
      web: url,
      owner: repo.owner,
      repo: repo.repo,
      id: repo.id,
    };
    const param = decodeURIComponent(route[4] ?? "");
    let body: unknown;
    if (kind === "branches") {
      const sha = await repo.objects.resolveBranch(param);
      if (sha === undefined)
        return answer({ status: 404, body: errorBody("Branch not found", 404, docs), charged: true });
      body = branchBody(urls, param, await repo.objects.commit(sha));
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
    // GitHub's ETag varies with the Authorization header too (`Vary: Authorization`).
    const etag = `W/"${createHash("sha256")
      .update(JSON.stringify(body))
      .update(token ?? "")
      .digest("hex")}"`;
    const cacheHeaders = {
      etag,
      "cache-control": "private, max-age=60, s-maxage=60",
      vary: "Accept, Authorization",
    };
    if (etagMatches(req.headers["if-none-match"], etag)) {
      // https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
      return answer({ status: 304, headers: cacheHeaders, charged: false });
    }
    return answer({ status: 200, body, headers: cacheHeaders, charged: true });
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
    failNext(match, count, failure) {
      rules.push({ match, remaining: count, failure });
    },
    setRemaining(token, remaining) {
      limits.bucket(token).set(remaining);
    },
    requests,
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

function matches(match: string | RegExp, pathname: string, path: string): boolean {
  return typeof match === "string" ? pathname === match : match.test(path);
}

function parseToken(header: string | undefined): string | undefined {
  const match = /^(?:token|bearer)\s+(.+)$/i.exec(header ?? "");
  return match?.[1]?.trim();
}

function etagMatches(header: string | string[] | undefined, etag: string): boolean {
  if (header === undefined) return false;
  const weak = (value: string) => value.trim().replace(/^W\//, "");
  return [header]
    .flat()
    .flatMap((value) => value.split(","))
    .some((value) => value.trim() === "*" || weak(value) === weak(etag));
}
