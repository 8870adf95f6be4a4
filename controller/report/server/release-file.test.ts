import { mkdtemp, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { byteRange, contentType, SmallFileCache } from "./release-file.js";

describe("byteRange", () => {
  const size = 100;
  const cases: { header: string | undefined; want: ReturnType<typeof byteRange> }[] = [
    { header: undefined, want: undefined },
    { header: "bytes=0-9", want: { start: 0, end: 9 } },
    { header: "bytes=90-", want: { start: 90, end: 99 } },
    { header: "bytes=-5", want: { start: 95, end: 99 } },
    { header: "bytes=-500", want: { start: 0, end: 99 } },
    { header: "bytes=50-5000", want: { start: 50, end: 99 } },
    { header: "bytes=0-1,5-6", want: undefined },
    { header: "items=0-1", want: undefined },
    { header: "bytes=100-", want: "unsatisfiable" },
    { header: "bytes=5-2", want: "unsatisfiable" },
    { header: "bytes=-0", want: "unsatisfiable" },
    { header: "bytes=x-y", want: "unsatisfiable" },
  ];
  it.each(cases)("reads $header", ({ header, want }) => {
    expect(byteRange(header, size)).toEqual(want);
  });
});

describe("contentType", () => {
  it("names known extensions whatever their case and sends the rest as bytes", () => {
    expect(
      ["init.sh", "APP.TAR.GZ", "values.yml", "notes", "app.exe"].map((name) => contentType(name)),
    ).toEqual([
      "application/x-sh",
      "application/gzip",
      "text/yaml; charset=utf-8",
      "application/octet-stream",
      "application/octet-stream",
    ]);
  });
});

describe("SmallFileCache", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "small-file-cache-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  async function file(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  it("re-reads a file whose size or modification time changed, even with the same length", async () => {
    const cache = new SmallFileCache();
    const path = await file("init.sh", "echo one\n");
    expect((await cache.read(path, await stat(path))).toString()).toBe("echo one\n");
    await writeFile(path, "echo two\n");
    const later = new Date(Date.now() + 5000);
    await utimes(path, later, later);
    expect((await cache.read(path, await stat(path))).toString()).toBe("echo two\n");
    await writeFile(path, "echo three, longer\n");
    expect((await cache.read(path, await stat(path))).toString()).toBe("echo three, longer\n");
  });

  it("serves an unchanged file from memory", async () => {
    const cache = new SmallFileCache();
    const path = await file("kept.sh", "echo kept\n");
    const info = await stat(path);
    const first = await cache.read(path, info);
    // Same stat as when it was read: the bytes come from the cache, not from the (now different) file.
    await writeFile(path, "echo gone\n");
    expect(await cache.read(path, info)).toBe(first);
  });

  it("keeps its bytes under the bound, dropping the least recently used file first", async () => {
    const cache = new SmallFileCache(25);
    const [a, b, c] = await Promise.all(
      ["a", "b", "c"].map(async (name) => {
        const path = await file(name, name.repeat(10));
        return { path, info: await stat(path) };
      }),
    );
    if (!a || !b || !c) throw new Error("three files");
    const first = await cache.read(a.path, a.info);
    const second = await cache.read(b.path, b.info);
    expect(await cache.read(a.path, a.info)).toBe(first);
    await cache.read(c.path, c.info);
    expect(cache.bytes).toBe(20);
    // b was used least recently, so it went (read again: new bytes); a stayed.
    expect(await cache.read(a.path, a.info)).toBe(first);
    expect(await cache.read(b.path, b.info)).not.toBe(second);
  });
});
