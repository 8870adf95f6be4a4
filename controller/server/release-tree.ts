import { realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance } from "fastify";
import { renderListing } from "./directory-listing.js";
import { sendError } from "./errors.js";
import type { RouteContext } from "./options.js";
import { releasePath } from "./release-path.js";

/**
 * registerReleaseTree serves `releaseDir` at `/` for workloads to download (`scripts/{svc}/init.sh`,
 * `apps/{svc}/app.tar.gz`). @fastify/send brings ETag, Last-Modified, 304s, Range and content types; this file adds
 * what it does not: refusing traversal before any file is touched, resolving symlinks and refusing any whose
 * target leaves the root, and listing directories only when configured.
 */
export async function registerReleaseTree(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const releaseDir = ctx.releaseDir;
  if (!releaseDir) return;
  const root = await realpath(releaseDir);
  await app.register(fastifyStatic, {
    root,
    serve: false,
    decorateReply: true,
    dotfiles: "ignore",
    index: false,
    etag: true,
    lastModified: true,
    acceptRanges: true,
  });

  app.get("/*", async (request, reply) => {
    const rawPath = request.raw.url?.split("?")[0] ?? "/";
    const path = releasePath(rawPath);
    if (!path.ok) return sendError(reply, 400, "bad_path", "the path is not inside the release tree");
    const notFound = () => sendError(reply, 404, "not_found", `nothing is served at ${rawPath}`);
    // Dotfiles (.env, .git) are never part of a release; hide them the same way as missing files.
    if (path.segments.some((s) => s.startsWith("."))) return notFound();

    let target: string;
    try {
      target = await realpath(join(root, ...path.segments));
    } catch {
      return notFound();
    }
    if (target !== root && !target.startsWith(root + sep)) {
      ctx.log.warn({ path: rawPath }, "release tree: a symlink points outside the root; refused");
      return notFound();
    }
    const info = await stat(target);
    if (info.isDirectory()) {
      if (!ctx.listDirectories) return notFound();
      const href = rawPath.endsWith("/") ? rawPath : `${rawPath}/`;
      return reply.type("text/html; charset=utf-8").send(await renderListing(target, href));
    }
    if (!info.isFile()) return notFound();
    return reply.sendFile(relative(root, target), root);
  });
}
