/** normalizeDir turns `./a/b/`, `/a//b` and `a/b` into `a/b`, and `.`, `/` or `` into `` (the repository root). */
export function normalizeDir(dir: string): string {
  return dir
    .split("/")
    .filter((part) => part !== "" && part !== ".")
    .join("/");
}
