import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { GIT_ENV } from "./git.js";

/** GitObject is an object as `git cat-file --batch` prints it. */
export interface GitObject {
  readonly sha: string;
  readonly type: string;
  readonly content: Buffer;
}

/**
 * createCatFile keeps one `git cat-file --batch` process per repository, so reading hundreds of objects costs one
 * process instead of hundreds. Only immutable objects go through it: refs are resolved elsewhere, fresh each time.
 */
export function createCatFile(dir: string) {
  let child: ChildProcessWithoutNullStreams | undefined;
  let buffer = Buffer.alloc(0);
  const waiting: { resolve: (object: GitObject | undefined) => void; reject: (error: Error) => void }[] = [];

  const drain = () => {
    while (waiting.length > 0) {
      const newline = buffer.indexOf(10);
      if (newline === -1) return;
      const header = buffer.subarray(0, newline).toString("utf8");
      const [sha = "", type = "", size = ""] = header.split(" ");
      if (type === "missing" || type === "ambiguous") {
        buffer = buffer.subarray(newline + 1);
        waiting.shift()?.resolve(undefined);
        continue;
      }
      const length = Number(size);
      if (buffer.length < newline + 1 + length + 1) return;
      const content = Buffer.from(buffer.subarray(newline + 1, newline + 1 + length));
      buffer = buffer.subarray(newline + 1 + length + 1);
      waiting.shift()?.resolve({ sha, type, content });
    }
  };

  const start = () => {
    const started = spawn("git", ["cat-file", "--batch"], { cwd: dir, env: { ...process.env, ...GIT_ENV } });
    started.stdout.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      drain();
    });
    started.on("exit", () => {
      child = undefined;
      for (const pending of waiting.splice(0)) pending.reject(new Error("git cat-file --batch exited"));
    });
    return started;
  };

  return {
    /** read returns an object by SHA, or undefined when the repository has no such object. */
    read(sha: string): Promise<GitObject | undefined> {
      if (!/^[0-9a-f]{40}$/.test(sha)) return Promise.resolve(undefined);
      child ??= start();
      const process = child;
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        process.stdin.write(`${sha}\n`);
      });
    },
    /** close ends the process. */
    close() {
      child?.stdin.end();
      child = undefined;
    },
  };
}
