import { gzipSync } from "node:zlib";

/** TarEntry is one member of an archive: a directory (no `data`) or a regular file. */
export interface TarEntry {
  /** path is relative, `/`-separated, without a leading `./`; directories end in `/`. */
  path: string;
  /** mode is the permission bits only; callers normalise them (0o755 / 0o644) so umask does not leak in. */
  mode: number;
  data?: Uint8Array;
}

const BLOCK = 512;

/**
 * tarArchive writes a POSIX ustar archive of `entries` in the order given, with everything that varies between
 * machines fixed: mtime 0, uid/gid 0, no user or group names (what GNU tar writes with `--mtime=@0 --owner=0
 * --group=0 --numeric-owner`). The same entries always give the same bytes.
 */
export function tarArchive(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const isDir = entry.data === undefined;
    const size = entry.data?.length ?? 0;
    parts.push(header(entry.path, entry.mode, size, isDir ? "5" : "0"));
    if (entry.data) {
      parts.push(Buffer.from(entry.data));
      const pad = (BLOCK - (size % BLOCK)) % BLOCK;
      if (pad > 0) parts.push(Buffer.alloc(pad));
    }
  }
  // Two zero blocks end an archive.
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

/**
 * gzipReproducible compresses like `gzip -n -9`: no file name and mtime 0 in the header. The OS byte is set to
 * Unix explicitly, because zlib writes the platform it was built for (RFC 1952, section 2.3.1).
 */
export function gzipReproducible(data: Uint8Array): Buffer {
  const out = gzipSync(data, { level: 9 });
  out.writeUInt32LE(0, 4);
  out[9] = 3;
  return out;
}

function header(path: string, mode: number, size: number, type: "0" | "5"): Buffer {
  const h = Buffer.alloc(BLOCK);
  const { prefix, name } = splitPath(path);
  h.write(name, 0, 100, "utf8");
  octal(h, 100, 8, mode & 0o7777);
  octal(h, 108, 8, 0); // uid
  octal(h, 116, 8, 0); // gid
  octal(h, 124, 12, size);
  octal(h, 136, 12, 0); // mtime
  h.fill(0x20, 148, 156); // the checksum is computed with its own field as spaces
  h.write(type, 156, 1, "ascii");
  h.write("ustar\0", 257, 6, "ascii");
  h.write("00", 263, 2, "ascii");
  h.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return h;
}

function octal(h: Buffer, offset: number, length: number, value: number): void {
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new RangeError(`${value} does not fit a ${length}-byte tar field`);
  h.write(`${digits.padStart(length - 1, "0")}\0`, offset, length, "ascii");
}

/** splitPath fits a path into ustar's 100-byte name and 155-byte prefix, split at a `/`. */
function splitPath(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: "", name: path };
  // A directory's trailing slash belongs to the name, so search for the split before it.
  for (let at = path.lastIndexOf("/", path.length - 2); at > 0; at = path.lastIndexOf("/", at - 1)) {
    const prefix = path.slice(0, at);
    const name = path.slice(at + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { prefix, name };
  }
  throw new RangeError(
    `path too long for a ustar archive (at most 100 bytes after a 155-byte prefix): ${path}`,
  );
}
