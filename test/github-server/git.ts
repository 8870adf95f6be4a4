import { execFile } from "node:child_process";

/** GIT_ENV isolates test git runs from the machine's own config, hooks, signing and identity. */
export const GIT_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.com",
  GIT_COMMITTER_NAME: "Test Committer",
  GIT_COMMITTER_EMAIL: "committer@example.com",
  GIT_TERMINAL_PROMPT: "0",
};

/** GitCommandError is a git command that exited non-zero; `code` lets callers tell "no such object" apart. */
export class GitCommandError extends Error {
  readonly code = "E_GIT_COMMAND";
  constructor(
    readonly args: readonly string[],
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")} failed: ${stderr.trim()}`);
  }
}

/** runGit runs git in a repository and resolves with its raw stdout. */
export function runGit(cwd: string, args: readonly string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      "git",
      args,
      { cwd, env: { ...process.env, ...GIT_ENV }, encoding: "buffer", maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new GitCommandError(args, stderr.toString("utf8")));
        else resolve(stdout);
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** gitText runs git and returns its stdout as trimmed text. */
export async function gitText(cwd: string, args: readonly string[]): Promise<string> {
  return (await runGit(cwd, args)).toString("utf8").trim();
}
