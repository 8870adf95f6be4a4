import type { Stats } from "node:fs";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import type { FastifyReply, FastifyRequest } from "fastify";
import { sendError } from "./errors.js";

/** SMALL_FILE_BYTES is the largest file kept in memory between requests (init scripts, templates, checksums). */
export const SMALL_FILE_BYTES = 64 * 1024;
/** CACHE_BYTES bounds the bytes of all cached small files together. */
export const CACHE_BYTES = 8 * 1024 * 1024;

interface Cached {
  readonly version: string;
  readonly body: Buffer;
}

/**
 * SmallFileCache holds the bytes of small files keyed by real path, each tagged with the (size, mtime, inode) it
 * was read at: a request stats the file anyway, so a changed file is re-read on its next request, never served
 * stale. Least recently used entries go first once `maxBytes` is reached.
 */
export class SmallFileCache {
  readonly #entries = new Map<string, Cached>();
  #bytes = 0;

  constructor(readonly maxBytes = CACHE_BYTES) {}

  get bytes(): number {
    return this.#bytes;
  }

  async read(path: string, info: Stats): Promise<Buffer> {
    const version = `${info.size}:${info.mtimeMs}:${info.ino}`;
    const hit = this.#entries.get(path);
    if (hit) {
      this.#drop(path, hit);
      if (hit.version === version) {
        this.#entries.set(path, hit);
        this.#bytes += hit.body.length;
        return hit.body;
      }
    }
    const body = await readFile(path);
    // Written between the stat and the read: serve what was read, but do not keep it under the old version.
    if (body.length !== info.size || body.length > this.maxBytes) return body;
    this.#entries.set(path, { version, body });
    this.#bytes += body.length;
    for (const [oldest, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#drop(oldest, entry);
    }
    return body;
  }

  #drop(path: string, entry: Cached): void {
    this.#entries.delete(path);
    this.#bytes -= entry.body.length;
  }
}

// The types a release tree holds; anything else is sent as bytes. A table rather than a MIME database: the
// database costs every controller process memory for types nobody publishes next to an init script.
const TYPES: Readonly<Record<string, string>> = {
  ".sh": "application/x-sh",
  ".gz": "application/gzip",
  ".tgz": "application/gzip",
  ".tar": "application/x-tar",
  ".zip": "application/zip",
  ".xz": "application/x-xz",
  ".bz2": "application/x-bzip2",
  ".zst": "application/zstd",
  ".json": "application/json; charset=utf-8",
  ".yaml": "text/yaml; charset=utf-8",
  ".yml": "text/yaml; charset=utf-8",
  ".toml": "application/toml",
  ".txt": "text/plain; charset=utf-8",
  ".md": "text/markdown; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".asc": "application/pgp-signature",
  ".sig": "application/pgp-signature",
  ".pem": "application/x-x509-ca-cert",
};

/** contentType names a release file's media type from its extension. */
export function contentType(path: string): string {
  return TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";
}

/** ByteRange is an inclusive byte range of a file. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/**
 * byteRange reads a `Range` header for a file of `size` bytes: undefined means send the whole file (no header,
 * another unit, or several ranges, which we do not send as multipart), "unsatisfiable" means answer 416.
 */
export function byteRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | undefined {
  if (!header?.startsWith("bytes=")) return undefined;
  const parts = header.slice("bytes=".length).split(",");
  const ranges = parts.map((part) => oneRange(part.trim(), size)).filter((r) => r !== undefined);
  if (ranges.length === 0) return "unsatisfiable";
  return parts.length === 1 ? ranges[0] : undefined;
}

function oneRange(spec: string, size: number): ByteRange | undefined {
  const match = /^(\d*)-(\d*)$/.exec(spec);
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  const [first, last] = [match[1] ?? "", match[2] ?? ""];
  if (first === "") {
    const suffix = Number(last);
    return suffix > 0 && size > 0 ? { start: Math.max(0, size - suffix), end: size - 1 } : undefined;
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  return start <= end && start < size ? { start, end } : undefined;
}

/** entityTag is a file's strong validator: its size and modification time, as nginx builds one. */
export function entityTag(info: Stats): string {
  return `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
}

function listMatches(header: string, etag: string): boolean {
  return header.trim() === "*" || header.split(",").some((tag) => tag.trim() === etag);
}

// HTTP dates have one-second precision: a file modified within the second of the date is not newer than it.
function notNewerThan(info: Stats, header: string): boolean {
  const date = Date.parse(header);
  return !Number.isNaN(date) && Math.floor(info.mtimeMs / 1000) * 1000 <= date;
}

/**
 * sendReleaseFile answers GET or HEAD for a regular file already checked to be inside the release root: ETag and
 * Last-Modified with the preconditions of RFC 9110 (412 and 304), one byte range (206, or 416 past the end), small
 * files from `cache`, larger ones streamed.
 */
export async function sendReleaseFile(
  request: FastifyRequest,
  reply: FastifyReply,
  target: string,
  info: Stats,
  cache: SmallFileCache,
): Promise<FastifyReply> {
  const etag = entityTag(info);
  const h = request.headers;
  const ifMatch = h["if-match"];
  const ifUnmodified = h["if-unmodified-since"];
  if (
    (ifMatch !== undefined && !listMatches(ifMatch, etag)) ||
    (ifMatch === undefined && ifUnmodified !== undefined && !notNewerThan(info, ifUnmodified))
  ) {
    return sendError(reply, 412, "precondition_failed", "the file does not match the request's precondition");
  }
  reply.header("accept-ranges", "bytes");
  reply.header("cache-control", "public, max-age=0");
  reply.header("last-modified", info.mtime.toUTCString());
  reply.header("etag", etag);
  const ifNoneMatch = h["if-none-match"];
  const ifModified = h["if-modified-since"];
  if (
    ifNoneMatch !== undefined
      ? listMatches(ifNoneMatch, etag)
      : ifModified !== undefined && notNewerThan(info, ifModified)
  ) {
    return reply.code(304).send();
  }

  const ifRange = h["if-range"];
  // If-Range holds a validator the client saw: a range of a file that has changed since would splice two files.
  const rangeApplies =
    ifRange === undefined ||
    ifRange === etag ||
    (typeof ifRange === "string" && !ifRange.startsWith('"') && notNewerThan(info, ifRange));
  const range = rangeApplies ? byteRange(h.range, info.size) : undefined;
  if (range === "unsatisfiable") {
    reply.header("content-range", `bytes */${info.size}`);
    return sendError(
      reply,
      416,
      "range_not_satisfiable",
      `the range is outside the file's ${info.size} bytes`,
    );
  }
  reply.type(contentType(target));
  const { start, end } = range ?? { start: 0, end: info.size - 1 };
  if (range) reply.code(206).header("content-range", `bytes ${start}-${end}/${info.size}`);
  const length = end - start + 1;
  if (request.method === "HEAD") return reply.header("content-length", length).send();
  if (info.size <= SMALL_FILE_BYTES) {
    const body = await cache.read(target, info);
    return reply.send(range ? body.subarray(start, end + 1) : body);
  }
  reply.header("content-length", length);
  return reply.send(createReadStream(target, { start, end }));
}
