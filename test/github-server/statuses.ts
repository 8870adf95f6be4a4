import type { IncomingMessage } from "node:http";
import type { ReadableRepo, RouteAnswer, TestApps } from "./app-auth.js";
import type { GitObjects } from "./git-objects.js";
import { schemaErrors } from "./openapi.js";
import type { createRateLimits } from "./rate-limits.js";
import { readJson } from "./read-json.js";
import { errorBody } from "./responses.js";
import { access } from "./route-access.js";

/** RecordedStatus is one commit status the server accepted, with the token it was posted with. */
export interface RecordedStatus {
  readonly id: number;
  readonly owner: string;
  readonly repo: string;
  readonly sha: string;
  readonly state: "error" | "failure" | "pending" | "success";
  readonly context: string;
  readonly description: string | null;
  readonly target_url: string | null;
  readonly token: string | undefined;
}

/** StatusRepo is a served repository as the statuses route needs it. */
export interface StatusRepo extends ReadableRepo {
  readonly objects: GitObjects;
  readonly id: number;
}

/** StatusLog records the commit statuses posted to the test server and answers `POST …/statuses/{sha}`. */
export interface StatusLog {
  readonly statuses: readonly RecordedStatus[];
  /** rejected lists why request bodies did not match GitHub's schema (they were answered 422). */
  readonly rejected: readonly string[];
  route(
    req: IncomingMessage,
    pathname: string,
    token: string | undefined,
    apiRoot: string,
  ): Promise<RouteAnswer | undefined>;
}

const ROUTE = /^\/repos\/([^/]+)\/([^/]+)\/statuses\/([^/]+)$/;
const OPERATION = "/repos/{owner}/{repo}/statuses/{sha}";
const DOCS_URL = "https://docs.github.com/rest/commits/statuses#create-a-commit-status";

/**
 * createStatusLog serves commit statuses as GitHub does: a token that can read the repository may post (401 without
 * a valid one, 404 when it cannot see the repository), a body GitHub's schema refuses is 422, a SHA that is not a
 * commit of the repository is 422 "No commit found for SHA", and an accepted status is 201 with GitHub's "Status".
 */
export function createStatusLog(
  apps: TestApps,
  limits: ReturnType<typeof createRateLimits>,
  repos: ReadonlyMap<string, StatusRepo>,
): StatusLog {
  const statuses: RecordedStatus[] = [];
  const rejected: string[] = [];
  return {
    statuses,
    rejected,
    async route(req, pathname, token, apiRoot) {
      const match = ROUTE.exec(pathname);
      if (!match || req.method !== "POST") return undefined;
      const [, owner = "", name = "", sha = ""] = match;
      const checked = access({ apps, limits, repos }, { owner, name, token, write: true, docs: DOCS_URL });
      if ("answer" in checked) return checked.answer;
      const { repo } = checked;
      let body: unknown;
      try {
        body = await readJson(req);
      } catch {
        return { status: 400, body: errorBody("Problems parsing JSON", 400, DOCS_URL), charged: true };
      }
      const problems = schemaErrors("POST", OPERATION, "request", body);
      if (problems.length > 0) {
        rejected.push(...problems);
        return { status: 422, body: errorBody("Invalid request.", 422, DOCS_URL), charged: true };
      }
      const commit = await repo.objects.commit(sha).then(
        () => true,
        () => false,
      );
      if (!commit)
        return {
          status: 422,
          body: errorBody(`No commit found for SHA: ${sha}`, 422, DOCS_URL),
          charged: true,
        };
      const fields = body as Partial<
        Pick<RecordedStatus, "state" | "description" | "target_url" | "context">
      >;
      const status: RecordedStatus = {
        id: statuses.length + 1,
        owner: repo.owner,
        repo: repo.repo,
        sha,
        state: fields.state ?? "pending",
        context: fields.context ?? "default",
        description: fields.description ?? null,
        target_url: fields.target_url ?? null,
        token,
      };
      statuses.push(status);
      return { status: 201, body: statusBody(apiRoot, status), charged: true };
    },
  };
}

/** statusBody is GitHub's "Status"; a status posted by a token of no account has no creator here. */
function statusBody(apiRoot: string, status: RecordedStatus) {
  const stamp = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    url: `${apiRoot}/repos/${status.owner}/${status.repo}/statuses/${status.sha}`,
    avatar_url: null,
    id: status.id,
    node_id: Buffer.from(`011:StatusContext${status.id}`).toString("base64"),
    state: status.state,
    description: status.description,
    target_url: status.target_url,
    context: status.context,
    created_at: stamp,
    updated_at: stamp,
    creator: null,
  };
}
