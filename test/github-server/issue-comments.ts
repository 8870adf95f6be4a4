import type { IncomingMessage } from "node:http";
import type { RouteAnswer } from "./app-auth.js";
import { conditionalAnswer } from "./etag.js";
import { schemaErrors } from "./openapi.js";
import { pageOf } from "./paging.js";
import { type CommentView, commentBody } from "./pull-bodies.js";
import type { PullRepo, PullRequests, RepoRoute } from "./pulls.js";
import { readJson } from "./read-json.js";
import { errorBody } from "./responses.js";
import { type AccessDeps, access } from "./route-access.js";

/** RecordedComment is one issue comment as the server holds it, with the last token that wrote it. */
export interface RecordedComment extends CommentView {
  readonly repoKey: string;
  /** How many times it was edited. */
  readonly edits: number;
  readonly token: string | undefined;
}

/** IssueComments holds the comments of issues and pull requests and answers their routes. */
export interface IssueComments {
  readonly comments: readonly RecordedComment[];
  /** rejected lists why request bodies did not match GitHub's schema (they were answered 422). */
  readonly rejected: readonly string[];
  /** add writes a comment as someone else would (a person's comment beside the controller's). */
  add(owner: string, repo: string, issue: number, body: string, author: string): RecordedComment;
  readonly route: RepoRoute;
}

const ON_ISSUE = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/;
const ONE = /^\/repos\/([^/]+)\/([^/]+)\/issues\/comments\/(\d+)$/;
const LIST_OPERATION = "/repos/{owner}/{repo}/issues/{issue_number}/comments";
const ONE_OPERATION = "/repos/{owner}/{repo}/issues/comments/{comment_id}";
const DOCS = {
  list: "https://docs.github.com/rest/issues/comments#list-issue-comments",
  create: "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
  update: "https://docs.github.com/rest/issues/comments#update-an-issue-comment",
};
/** MAX_BODY is GitHub's limit on a comment's body, in characters. */
export const MAX_COMMENT_BODY = 65_536;

const stamp = () => new Date().toISOString().replace(/\.\d{3}Z$/, "Z");

/** authorOf names the account a token writes as: an installation token writes as the app's bot. */
function authorOf(token: string | undefined): string {
  return token?.startsWith("ghs_") ? "simple-gitops[bot]" : "gitops-bot";
}

/**
 * createIssueComments serves `GET` and `POST /repos/{o}/{r}/issues/{n}/comments` (paginated, oldest first, with an
 * ETag and 304) and `PATCH /repos/{o}/{r}/issues/comments/{id}` as GitHub does: a write needs a token, a body
 * GitHub's schema refuses is 422 and so is one over 65 536 characters, an unknown issue or comment is 404.
 */
export function createIssueComments(deps: AccessDeps<PullRepo>, pulls: PullRequests): IssueComments {
  const comments: RecordedComment[] = [];
  const rejected: string[] = [];
  const keyOf = (repo: { owner: string; repo: string }) => `${repo.owner}/${repo.repo}`.toLowerCase();

  const readBody = async (req: IncomingMessage, operation: string, method: string, docs: string) => {
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return { answer: { status: 400, body: errorBody("Problems parsing JSON", 400, docs), charged: true } };
    }
    const problems = schemaErrors(method, operation, "request", body);
    if (problems.length > 0) {
      rejected.push(...problems);
      return { answer: { status: 422, body: errorBody("Invalid request.", 422, docs), charged: true } };
    }
    const text = (body as { body: string }).body;
    if (text.length > MAX_COMMENT_BODY) {
      rejected.push(`/body is ${text.length} characters, over ${MAX_COMMENT_BODY}`);
      const tooLong = {
        message: "Validation Failed",
        errors: [
          {
            resource: "IssueComment",
            code: "custom",
            field: "body",
            message: "body is too long (maximum is 65536 characters)",
          },
        ],
        documentation_url: docs,
        status: "422",
      };
      return { answer: { status: 422, body: tooLong, charged: true } };
    }
    return { text };
  };

  return {
    comments,
    rejected,
    add(owner, repo, issue, body, author) {
      const now = stamp();
      const comment = {
        id: comments.length + 1,
        issue,
        body,
        author,
        createdAt: now,
        updatedAt: now,
        repoKey: `${owner}/${repo}`.toLowerCase(),
        edits: 0,
        token: undefined,
      };
      comments.push(comment);
      return comment;
    },
    async route(req, url, pathname, token, urlsFor) {
      const onIssue = ON_ISSUE.exec(pathname);
      const one = ONE.exec(pathname);
      const method = req.method ?? "GET";
      const wanted = (onIssue && (method === "GET" || method === "POST")) || (one && method === "PATCH");
      if (!wanted) return undefined;
      const [, owner = "", name = "", id = ""] = (onIssue ?? one) as RegExpExecArray;
      const docs = one ? DOCS.update : method === "GET" ? DOCS.list : DOCS.create;
      const checked = access(deps, { owner, name, token, write: method !== "GET", docs });
      if ("answer" in checked) return checked.answer;
      const urls = urlsFor(checked.repo);
      const repoKey = keyOf(checked.repo);
      const notFound: RouteAnswer = { status: 404, body: errorBody("Not Found", 404, docs), charged: true };
      if (one) {
        const index = comments.findIndex((c) => c.repoKey === repoKey && c.id === Number(id));
        const found = comments[index];
        if (found === undefined) return notFound;
        const read = await readBody(req, ONE_OPERATION, "PATCH", docs);
        if ("answer" in read) return read.answer;
        const edited = { ...found, body: read.text, updatedAt: stamp(), edits: found.edits + 1, token };
        comments[index] = edited;
        return { status: 200, body: commentBody(urls, edited), charged: true };
      }
      const issue = Number(id);
      if (!pulls.exists(repoKey, issue)) return notFound;
      if (method === "GET") {
        const page = pageOf(
          comments.filter((c) => c.repoKey === repoKey && c.issue === issue),
          url,
        );
        const body = page.items.map((c) => commentBody(urls, c));
        return conditionalAnswer(req, token, body, page.headers);
      }
      const read = await readBody(req, LIST_OPERATION, "POST", docs);
      if ("answer" in read) return read.answer;
      const now = stamp();
      const created: RecordedComment = {
        id: comments.length + 1,
        issue,
        body: read.text,
        author: authorOf(token),
        createdAt: now,
        updatedAt: now,
        repoKey,
        edits: 0,
        token,
      };
      comments.push(created);
      return { status: 201, body: commentBody(urls, created), charged: true };
    },
  };
}
