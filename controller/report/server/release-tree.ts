import { realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { FastifyInstance } from "fastify";
import { renderListing } from "./directory-listing.js";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";
import { SmallFileCache, sendReleaseFile } from "./release-file.js";
import { releasePath } from "./release-path.js";
import { WarnThrottle } from "./warn-throttle.js";

/**
 * registerReleaseTree serves `releaseDir` at `/` for workloads to download (`scripts/{svc}/init.sh`,
 * `apps/{svc}/app.tar.gz`): traversal is refused before any file is touched, symlinks are resolved and any whose
 * target leaves the root refused, dotfiles are hidden, directories listed only when configured. Files are sent
 * by release-file.ts (validators, 304s, ranges, small files from memory) rather than a static-file plugin: two
 * file system calls per request instead of five, and no MIME database or plugin code in every process.
 */
export async function registerReleaseTree(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const releaseDir = ctx.releaseDir;
  if (!releaseDir) return;
  const root = await realpath(releaseDir);
  const cache = new SmallFileCache();
  const warns = new WarnThrottle(() => ctx.clock().getTime());

  app.route({
    method: ["GET", "HEAD"],
    url: "/*",
    exposeHeadRoute: false,
    handler: async (request, reply) => {
      const rawPath = request.raw.url?.split("?")[0] ?? "/";
      const path = releasePath(rawPath);
      if (!path.ok) return sendError(reply, 400, "bad_path", "the path is not inside the release tree");
      const notFound = () => sendError(reply, 404, "not_found", `nothing is served at ${rawPath}`);
      // Dotfiles (.env, .git) are never part of a release; hide them the same way as missing files.
      if (path.segments.some((s) => s.startsWith("."))) return notFound();

      let target: string;
      let info: Awaited<ReturnType<typeof stat>>;
      try {
        target = await realpath(join(root, ...path.segments));
        info = await stat(target);
      } catch {
        return notFound();
      }
      if (!inside(root, target)) {
        const link = await leavingLink(root, path.segments);
        const suppressed = warns.admit(link);
        if (suppressed !== undefined) {
          ctx.log.warn(
            { path: rawPath, link, suppressed },
            "release tree: a symlink points outside the root; refused (one line per link per minute)",
          );
        }
        return notFound();
      }
      // A symlink inside the tree (latest -> .env) must not serve what the request could not name directly.
      const hidden = relative(root, target)
        .split(sep)
        .some((segment) => segment.startsWith("."));
      if (hidden) return notFound();
      if (info.isDirectory()) {
        if (!ctx.listDirectories) return notFound();
        const href = rawPath.endsWith("/") ? rawPath : `${rawPath}/`;
        return reply.type("text/html; charset=utf-8").send(await renderListing(target, href));
      }
      if (!info.isFile()) return notFound();
      return sendReleaseFile(request, reply, target, info, cache);
    },
  });
}

function inside(root: string, real: string): boolean {
  return real === root || real.startsWith(root + sep);
}

/**
 * leavingLink names the link that leads a path out of the root: the first prefix whose real path is outside,
 * spelt from its parent's real path, so every spelling of a request (`//a`, `/%61`, `/a/b/c` below it) and every
 * file behind the same link count as one subject of the warn.
 */
async function leavingLink(root: string, segments: readonly string[]): Promise<string> {
  let parent = root;
  for (const segment of segments) {
    const real = await realpath(join(parent, segment)).catch(() => undefined);
    if (real === undefined) break;
    if (!inside(root, real)) return [relative(root, parent), segment].filter((s) => s !== "").join("/");
    parent = real;
  }
  return segments.join("/");
}
