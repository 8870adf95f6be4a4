/** ReleasePath is a request path inside the release tree: either safe relative segments or why it was refused. */
export type ReleasePath =
  | { readonly ok: true; readonly segments: readonly string[] }
  | { readonly ok: false };

/**
 * releasePath turns a raw request path (`/scripts/etcd/init.sh`, still percent-encoded) into segments relative to
 * the release root. It refuses `..` and `.` in any spelling (`%2e%2e`, `..%2f`, `%252e` after one decode is a
 * literal name, not a step up), backslashes and NUL bytes, so a path can never name anything above the root.
 */
export function releasePath(rawPath: string): ReleasePath {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false };
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return { ok: false };
  const segments = decoded.split("/").filter((s) => s !== "");
  if (segments.some((s) => s === ".." || s === ".")) return { ok: false };
  return { ok: true, segments };
}
