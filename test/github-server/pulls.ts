import type { IncomingMessage } from "node:http";
import type { RouteAnswer } from "./app-auth.js";
import { conditionalAnswer } from "./etag.js";
import type { GitObjects } from "./git-objects.js";
import { pageOf } from "./paging.js";
import { fileBody, type PullView, pullBody } from "./pull-bodies.js";
import { pullFiles } from "./pull-diff.js";
import { errorBody, type RepoUrls } from "./responses.js";
import { type AccessDeps, access } from "./route-access.js";

/** PullRepo is a served repository as pull requests need it. */
export interface PullRepo {
  readonly owner: string;
  readonly repo: string;
  readonly dir: string;
  readonly token?: string;
  readonly objects: GitObjects;
  readonly id: number;
}

/** OpenPull is a pull request a test opens: its head branch (in the served repository's git) and the rest. */
export interface OpenPull {
  readonly head: string;
  /** The branch it would merge into. Default `main`. */
  readonly base?: string;
  readonly title?: string;
  /** The owner of the fork the head branch is in; the head commits still live in the served git, as GitHub keeps them. */
  readonly fork?: string;
  readonly author?: string;
  readonly draft?: boolean;
}

interface PullRecord {
  readonly key: string;
  readonly number: number;
  readonly open: OpenPull;
  state: "open" | "closed";
  merged: boolean;
  readonly createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** The head last shown, so a push moves `updated_at` as it does on GitHub. */
  shownHead?: string;
}

/** PullRequests are the pull requests of the served repositories and the routes that list them and their files. */
export interface PullRequests {
  /** open opens a pull request and returns its number (issues and pull requests share one sequence per repository). */
  open(owner: string, repo: string, pull: OpenPull): number;
  /** close closes a pull request, merged or not. */
  close(owner: string, repo: string, number: number, options?: { merged?: boolean }): void;
  /** exists says whether `owner/repo` has issue or pull request `number`. */
  exists(repoKey: string, number: number): boolean;
  readonly route: RepoRoute;
}

/**
 * RepoRoute answers the requests of one group of repository routes, or undefined for any other: the request, its
 * URL (for Link headers), its path without the Enterprise prefix, its token, and the URL roots of a repository.
 */
export type RepoRoute = (
  req: IncomingMessage,
  url: URL,
  pathname: string,
  token: string | undefined,
  urlsFor: (repo: PullRepo) => RepoUrls,
) => Promise<RouteAnswer | undefined>;

const LIST = /^\/repos\/([^/]+)\/([^/]+)\/pulls$/;
const FILES = /^\/repos\/([^/]+)\/([^/]+)\/pulls\/(\d+)\/files$/;
const DOCS_LIST = "https://docs.github.com/rest/pulls/pulls#list-pull-requests";
const DOCS_FILES = "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files";
/** GitHub lists at most 3000 files of a pull request. */
const MAX_FILES = 3000;

const stamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * createPullRequests serves `GET /repos/{o}/{r}/pulls` (state, base, head, sort, direction and pagination, with an
 * ETag and 304) and `GET /repos/{o}/{r}/pulls/{n}/files` (paginated, at most 3000 files) as GitHub does. A pull
 * request's head is its branch's commit at the time of the request, so a test pushes to it with `commitTo`.
 */
export function createPullRequests(deps: AccessDeps<PullRepo>): PullRequests {
  const pulls = new Map<string, PullRecord[]>();
  const numbers = new Map<string, number>();
  const keyOf = (owner: string, repo: string) => `${owner}/${repo}`.toLowerCase();
  const find = (key: string, number: number) => pulls.get(key)?.find((pull) => pull.number === number);

  const view = async (repo: PullRepo, pull: PullRecord): Promise<PullView | undefined> => {
    const headSha = await repo.objects.resolveBranch(pull.open.head);
    const baseSha = await repo.objects.resolveBranch(pull.open.base ?? "main");
    if (headSha === undefined || baseSha === undefined) return undefined;
    if (pull.shownHead !== undefined && pull.shownHead !== headSha) pull.updatedAt = stamp();
    pull.shownHead = headSha;
    return {
      number: pull.number,
      title: pull.open.title ?? `Pull request ${pull.number}`,
      state: pull.state,
      headRef: pull.open.head,
      headSha,
      baseRef: pull.open.base ?? "main",
      baseSha,
      ...(pull.open.fork === undefined ? {} : { forkOwner: pull.open.fork }),
      author: pull.open.author ?? pull.open.fork ?? "octocat",
      draft: pull.open.draft ?? false,
      createdAt: pull.createdAt,
      updatedAt: pull.updatedAt,
      closedAt: pull.closedAt,
      mergedAt: pull.merged ? pull.closedAt : null,
    };
  };

  const list = async (repo: PullRepo, url: URL) => {
    const state = url.searchParams.get("state") ?? "open";
    const base = url.searchParams.get("base");
    const head = url.searchParams.get("head");
    const sort = url.searchParams.get("sort") ?? "created";
    const direction = url.searchParams.get("direction") ?? (sort === "created" ? "desc" : "asc");
    const views: PullView[] = [];
    for (const pull of pulls.get(keyOf(repo.owner, repo.repo)) ?? []) {
      if (state !== "all" && pull.state !== state) continue;
      const shown = await view(repo, pull);
      if (shown === undefined) continue;
      if (base !== null && shown.baseRef !== base) continue;
      if (head !== null && head !== `${shown.forkOwner ?? repo.owner}:${shown.headRef}`) continue;
      views.push(shown);
    }
    const field = sort === "updated" ? "updatedAt" : "createdAt";
    views.sort((a, b) => a[field].localeCompare(b[field]) || a.number - b.number);
    if (direction === "desc") views.reverse();
    return views;
  };

  return {
    open(owner, repo, open) {
      const key = keyOf(owner, repo);
      const number = (numbers.get(key) ?? 0) + 1;
      numbers.set(key, number);
      const now = stamp();
      const record: PullRecord = {
        key,
        number,
        open,
        state: "open",
        merged: false,
        createdAt: now,
        updatedAt: now,
        closedAt: null,
      };
      pulls.set(key, [...(pulls.get(key) ?? []), record]);
      return number;
    },
    close(owner, repo, number, options = {}) {
      const pull = find(keyOf(owner, repo), number);
      if (pull === undefined) throw new Error(`no pull request ${owner}/${repo}#${number}`);
      pull.state = "closed";
      pull.merged = options.merged ?? false;
      pull.closedAt = stamp();
      pull.updatedAt = pull.closedAt;
    },
    exists: (key, number) => find(key, number) !== undefined,
    async route(req, url, pathname, token, urlsFor) {
      const listed = LIST.exec(pathname);
      const files = FILES.exec(pathname);
      const match = listed ?? files;
      if (match === null || req.method !== "GET") return undefined;
      const [, owner = "", name = ""] = match;
      const docs = listed ? DOCS_LIST : DOCS_FILES;
      const checked = access(deps, { owner, name, token, write: false, docs });
      if ("answer" in checked) return checked.answer;
      const { repo } = checked;
      const urls = urlsFor(repo);
      if (listed) {
        const page = pageOf(await list(repo, url), url);
        const body = page.items.map((pull) => pullBody(urls, pull));
        return conditionalAnswer(req, token, body, page.headers);
      }
      const pull = find(keyOf(repo.owner, repo.repo), Number(files?.[3]));
      const shown = pull && (await view(repo, pull));
      if (shown === undefined) return { status: 404, body: errorBody("Not Found", 404, docs), charged: true };
      const changed = (await pullFiles(repo.dir, shown.baseRef, shown.headSha)).slice(0, MAX_FILES);
      const page = pageOf(changed, url);
      const body = page.items.map((file) => fileBody(urls, shown.headSha, file));
      return conditionalAnswer(req, token, body, page.headers);
    },
  };
}
