import type { KnownState, PollResult } from "../../controller/source/source.js";
import { createGitRepo, type GitRepo } from "./git-repo.js";
import { createGitHubServer, type GitHubTestServer } from "./server.js";

/** LogLine is one captured log call. */
export interface LogLine {
  readonly level: "debug" | "info" | "warn" | "error";
  readonly fields: unknown;
  readonly message?: string;
}

/** captureLogger records every call of a pino-compatible logger, every level included, for assertions. */
export function captureLogger() {
  const lines: LogLine[] = [];
  const at = (level: LogLine["level"]) => (fields: unknown, message?: string) => {
    lines.push(message === undefined ? { level, fields } : { level, fields, message });
  };
  return { lines, log: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } };
}

/** manifest is a small, distinct manifest text for a service's file. */
export function manifest(service: string, index: number, version = 1): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${service}-${index}\ndata:\n  version: "${version}"\n`;
}

/** serviceFiles builds `count` manifests under `dir`, named `NN.yaml`. */
export function serviceFiles(service: string, dir: string, count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let index = 0; index < count; index++) {
    files[`${dir}/${String(index).padStart(2, "0")}.yaml`] = manifest(service, index);
  }
  return files;
}

/**
 * recordApplied does what a caller does after a successful apply: records, per service that was read, the commit
 * and the SHA of every file. A failed service keeps its old state, which is what makes the next poll retry it.
 */
export function recordApplied(result: PollResult, known: Record<string, KnownState>): void {
  if (result.status !== "changed") return;
  for (const service of result.services) {
    if (!service.ok) continue;
    known[service.service] = {
      commit: result.commit,
      files: Object.fromEntries(service.files.map((file) => [file.path, file.sha])),
    };
  }
}

/**
 * requestKind names the endpoint of a recorded request path: `branches`, `git/commits`, `git/trees`, `git/blobs`,
 * `tarball`, `codeload`.
 */
export function requestKind(path: string): string | undefined {
  return /\/(branches|git\/commits|git\/trees|git\/blobs|tarball|_codeload)\//
    .exec(path)?.[1]
    ?.replace("_", "");
}

/** GitHubWorld is one test server and the git repositories it serves. */
export interface GitHubWorld {
  readonly server: GitHubTestServer;
  readonly repos: GitRepo[];
  /** addRepo creates a git repository and serves it as `owner/repo`. */
  addRepo(owner: string, repo: string, token?: string): Promise<GitRepo>;
  close(): Promise<void>;
}

/** createGitHubWorld starts a test server with no repositories yet. */
export async function createGitHubWorld(): Promise<GitHubWorld> {
  const server = await createGitHubServer();
  const repos: GitRepo[] = [];
  return {
    server,
    repos,
    async addRepo(owner, name, token) {
      const repo = await createGitRepo();
      repos.push(repo);
      server.addRepo({ owner, repo: name, dir: repo.dir, ...(token === undefined ? {} : { token }) });
      return repo;
    },
    async close() {
      await server.close();
      await Promise.all(repos.map((repo) => repo.remove()));
    },
  };
}
