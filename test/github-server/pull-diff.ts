import { gitText, runGit } from "./git.js";
import type { PullFile } from "./pull-bodies.js";

const STATUS: Record<string, PullFile["status"]> = { A: "added", D: "removed", M: "modified", R: "renamed" };

/**
 * pullFiles is what a pull request changes, as GitHub's "files" list says it: the files that differ between the
 * merge base of the base branch and the head, and the head (renames found as `git diff -M` finds them), with each
 * file's blob SHA at the head (at the base for a removed one) and its line counts.
 */
export async function pullFiles(dir: string, baseBranch: string, head: string): Promise<PullFile[]> {
  const base = await gitText(dir, ["merge-base", `refs/heads/${baseBranch}`, head]);
  const raw = (await runGit(dir, ["diff", "--raw", "-z", "-M", "--no-abbrev", base, head]))
    .toString("utf8")
    .split("\0");
  const counts = await lineCounts(dir, base, head);
  const files: PullFile[] = [];
  for (let i = 0; i < raw.length - 1; ) {
    const [, , oldSha = "", newSha = "", code = ""] = (raw[i] ?? "").slice(1).split(" ");
    const status = STATUS[code.charAt(0)] ?? "modified";
    const renamed = status === "renamed";
    const from = raw[i + 1] ?? "";
    const to = renamed ? (raw[i + 2] ?? "") : from;
    i += renamed ? 3 : 2;
    const count = counts.get(to) ?? { additions: 0, deletions: 0 };
    files.push({
      filename: to,
      ...(renamed ? { previousFilename: from } : {}),
      status,
      sha: status === "removed" ? oldSha : newSha,
      ...count,
    });
  }
  return files;
}

/** lineCounts reads `git diff --numstat -z`: added and deleted lines per path (0 for a binary file). */
async function lineCounts(dir: string, base: string, head: string) {
  const out = (await runGit(dir, ["diff", "--numstat", "-z", "-M", base, head])).toString("utf8").split("\0");
  const counts = new Map<string, { additions: number; deletions: number }>();
  for (let i = 0; i < out.length - 1; ) {
    const [added = "0", deleted = "0", path = ""] = (out[i] ?? "").split("\t");
    // A rename's record has an empty path, followed by the old and the new path.
    const to = path === "" ? (out[i + 2] ?? "") : path;
    i += path === "" ? 3 : 1;
    counts.set(to, { additions: Number(added) || 0, deletions: Number(deleted) || 0 });
  }
  return counts;
}
