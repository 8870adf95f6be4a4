#!/usr/bin/env -S npx tsx
import { createHash } from "node:crypto";
import { lstat, mkdir, readdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { gzipReproducible, type TarEntry, tarArchive } from "./release/tar.js";

const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));
const DEFAULT_SRC = join(REPO_ROOT, "examples/release-src");
const DEFAULT_OUT = join(REPO_ROOT, "examples/release");

const HELP = `Usage: npx tsx scripts/pack-release.ts [--src DIR] [--out DIR] [--service NAME]...

Packs each service's release sources, {src}/{service}/, into {out}/apps/{service}/app.tar.gz, the archive the
stateless bootstrap unpacks into /app, and writes {out}/SHA256SUMS over every scripts/*/init.sh and
apps/*/app.tar.gz in {out}, the file the bootstrap verifies downloads against.

Archives are reproducible: entries sorted by name, mtime 0, uid/gid 0, modes 0755/0644, gzip without a name or
timestamp. Packing the same sources twice gives byte-identical archives.

Options:
  --src DIR        release sources, one directory per service (default: examples/release-src)
  --out DIR        the release tree to write into (default: examples/release)
  --service NAME   pack only this service; repeatable (default: every directory in --src)
  -h, --help       show this help

Exit status: 0 packed, 1 an unexpected failure (e.g. a write error), 2 bad flags or a missing source directory.`;

/** PackError is a problem with the input the user can fix; it exits with status 2. */
export class PackError extends Error {
  override readonly name = "PackError";
}

/** PackedService describes one archive written by {@link packService}. */
export interface PackedService {
  service: string;
  /** path is relative to the release tree: `apps/{service}/app.tar.gz`. */
  path: string;
  files: number;
  bytes: number;
  sha256: string;
}

/**
 * collectEntries lists a directory tree as tar entries, sorted by path, with modes normalised to 0755 (directories
 * and executables) and 0644, so the archive depends on the files' contents and not on umask or clock. Symlinks and
 * special files are refused: the bootstrap's `tar -x` runs as the pod's user, and a link could point anywhere.
 */
export async function collectEntries(root: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  async function walk(dir: string): Promise<void> {
    for (const name of await readdir(dir)) {
      const full = join(dir, name);
      const rel = relative(root, full).split("\\").join("/");
      const info = await lstat(full);
      if (info.isDirectory()) {
        entries.push({ path: `${rel}/`, mode: 0o755 });
        await walk(full);
      } else if (info.isFile()) {
        entries.push({ path: rel, mode: info.mode & 0o111 ? 0o755 : 0o644, data: await readFile(full) });
      } else {
        throw new PackError(`${full} is not a regular file or directory; release archives hold only those`);
      }
    }
  }
  await walk(root);
  // Code-unit order, as `tar --sort=name` in the C locale; a directory sorts before what it contains.
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** packService writes `{out}/apps/{service}/app.tar.gz` from `{src}/{service}/`, replacing it atomically. */
export async function packService(src: string, out: string, service: string): Promise<PackedService> {
  const dir = join(src, service);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    const known = await serviceDirs(src).catch(() => []);
    throw new PackError(
      `no source directory ${dir} for service ${service}` +
        (known.length > 0 ? ` (found: ${known.join(", ")})` : ` (${src} has no service directories)`),
    );
  }
  const entries = await collectEntries(dir);
  const archive = gzipReproducible(tarArchive(entries));
  const path = `apps/${service}/app.tar.gz`;
  await writeAtomically(join(out, path), archive);
  return {
    service,
    path,
    files: entries.filter((e) => e.data !== undefined).length,
    bytes: archive.length,
    sha256: sha256(archive),
  };
}

/**
 * sha256Sums returns the text of SHA256SUMS for a release tree: one `{hex}  {path}` line (the `sha256sum` format the
 * bootstrap's verify step reads) for every `scripts/*\/init.sh` and `apps/*\/app.tar.gz`, sorted by path.
 */
export async function sha256Sums(out: string): Promise<string> {
  const paths: string[] = [];
  for (const [top, file] of [
    ["scripts", "init.sh"],
    ["apps", "app.tar.gz"],
  ] as const) {
    for (const service of await serviceDirs(join(out, top)).catch(() => [])) {
      const path = `${top}/${service}/${file}`;
      if ((await stat(join(out, path)).catch(() => undefined))?.isFile()) paths.push(path);
    }
  }
  paths.sort();
  const lines = await Promise.all(paths.map(async (p) => `${sha256(await readFile(join(out, p)))}  ${p}\n`));
  return lines.join("");
}

/** PackReleaseOptions are the inputs of {@link packRelease}; `log` receives progress lines. */
export interface PackReleaseOptions {
  src: string;
  out: string;
  /** services to pack; every directory in `src` when empty. */
  services?: readonly string[];
  log: (line: string) => void;
}

/** packRelease packs the services and rewrites SHA256SUMS; it returns what it packed. */
export async function packRelease(options: PackReleaseOptions): Promise<PackedService[]> {
  const { src, out, log } = options;
  const services = options.services?.length ? [...options.services] : await serviceDirs(src);
  if (services.length === 0) throw new PackError(`${src} has no service directories to pack`);
  const packed: PackedService[] = [];
  for (const service of services) {
    const result = await packService(src, out, service);
    packed.push(result);
    log(
      `packed ${result.path}: ${result.files} files, ${result.bytes} bytes, sha256 ${result.sha256.slice(0, 12)}…`,
    );
    const init = join(out, "scripts", service, "init.sh");
    if (!(await stat(init).catch(() => undefined))?.isFile()) {
      log(`warning: ${init} is missing; pods of ${service} will fail to download scripts/${service}/init.sh`);
    }
  }
  const sums = await sha256Sums(out);
  await writeAtomically(join(out, "SHA256SUMS"), Buffer.from(sums));
  log(`wrote ${join(out, "SHA256SUMS")}: ${sums.split("\n").length - 1} entries`);
  return packed;
}

/** CliIo is where {@link main} writes; the defaults are the process's streams. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** main runs the command line and resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let values: { src?: string; out?: string; service?: string[]; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        src: { type: "string" },
        out: { type: "string" },
        service: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error: unknown) {
    io.stderr(`pack-release: ${(error as Error).message}\nRun with --help for usage.\n`);
    return 2;
  }
  if (values.help) {
    io.stdout(`${HELP}\n`);
    return 0;
  }
  const src = resolve(values.src ?? DEFAULT_SRC);
  const out = resolve(values.out ?? DEFAULT_OUT);
  const log = (line: string) => io.stderr(`pack-release: ${line}\n`);
  try {
    await packRelease({ src, out, services: values.service ?? [], log });
  } catch (error: unknown) {
    io.stderr(`pack-release: ${(error as Error).message}\n`);
    return error instanceof PackError ? 2 : 1;
  }
  const shown = relative(process.cwd(), out) || ".";
  log(
    `next: check with (cd ${shown} && sha256sum -c SHA256SUMS), then serve ${shown} with release_dir: ${shown}`,
  );
  log("      in the gitops config; pods download from download_base_url (the controller's HTTP server)");
  return 0;
}

async function serviceDirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
}

async function writeAtomically(path: string, data: Uint8Array): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

// Run only as a script, so tests can import the functions above.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2), {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
