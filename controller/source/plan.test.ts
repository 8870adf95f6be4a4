import { describe, expect, it } from "vitest";
import { normalizeDir } from "../../common/repo-path.js";
import { decodeBlobText } from "./blob-text.js";
import {
  type BlobText,
  blobsToRead,
  completeService,
  type DirListing,
  isUnderDir,
  planService,
  type TreeEntry,
} from "./plan.js";

const sha = (n: number) => String(n).padStart(40, "0");
const blob = (path: string, n: number, size = 10): TreeEntry => ({
  path,
  mode: "100644",
  type: "blob",
  sha: sha(n),
  size,
});
const listing = (...entries: TreeEntry[]): DirListing => ({ exists: true, entries });
const plan = (dir: string, list: DirListing, files: Record<string, string> = {}, maxFileBytes = 100) =>
  planService({
    repository: "acme/deploy@main",
    service: { name: "svc", dir },
    listing: list,
    known: { commit: "c0", files },
    maxFileBytes,
  });

describe("normalizeDir", () => {
  it.each([
    ["a/b", "a/b"],
    ["./a/b/", "a/b"],
    ["/a//b", "a/b"],
    [".", ""],
    ["/", ""],
    ["", ""],
  ])("normalizes %j to %j", (input, output) => {
    expect(normalizeDir(input)).toBe(output);
  });

  it("does not count a sibling with the same prefix as inside a directory", () => {
    expect(isUnderDir("k8s/app2/a.yaml", "k8s/app")).toBe(false);
    expect(isUnderDir("k8s/app/a.yaml", "k8s/app")).toBe(true);
    expect(isUnderDir("anything.yaml", "")).toBe(true);
  });
});

describe("planService", () => {
  it("lists every manifest with whether it changed, and lists vanished known paths as deleted", () => {
    const result = plan(
      "k8s",
      listing(
        blob("k8s/b.yaml", 2),
        blob("k8s/a.yml", 1),
        blob("k8s/sub/c.json", 3),
        blob("k8s/README.md", 4),
        { path: "k8s/sub", mode: "040000", type: "tree", sha: sha(9) },
        { path: "k8s/link.yaml", mode: "120000", type: "blob", sha: sha(5), size: 8 },
        { path: "k8s/module.yaml", mode: "160000", type: "commit", sha: sha(6) },
        blob("k8s2/other.yaml", 7),
      ),
      { "k8s/a.yml": sha(1), "k8s/b.yaml": sha(99), "k8s/gone.yaml": sha(8) },
    );
    expect(result).toEqual({
      ok: true,
      service: "svc",
      dir: "k8s",
      files: [
        { path: "k8s/a.yml", sha: sha(1), size: 10, changed: false },
        { path: "k8s/b.yaml", sha: sha(2), size: 10, changed: true },
        { path: "k8s/sub/c.json", sha: sha(3), size: 10, changed: true },
      ],
      deleted: ["k8s/gone.yaml"],
    });
  });

  it("accepts a file of exactly the limit", () => {
    const result = plan("k8s", listing(blob("k8s/edge.yaml", 1, 100)));
    expect(result).toMatchObject({ ok: true, files: [{ path: "k8s/edge.yaml", size: 100, changed: true }] });
  });

  it("fails the service naming every over-limit file, changed or already known", () => {
    const result = plan(
      "k8s",
      listing(blob("k8s/big.yaml", 1, 500), blob("k8s/old.yaml", 2, 101), blob("k8s/small.yaml", 3, 100)),
      { "k8s/old.yaml": sha(2) },
    );
    expect(result).toMatchObject({
      ok: false,
      service: "svc",
      dir: "k8s",
      error: { code: "E_SOURCE_FILE_UNUSABLE", services: ["svc"], repository: "acme/deploy@main" },
    });
    const message = result.ok ? "" : result.error.message;
    expect(message).toContain("service svc:");
    expect(message).toContain("k8s/big.yaml is 500 bytes, over the 100-byte limit");
    expect(message).toContain("k8s/old.yaml is 101 bytes, over the 100-byte limit");
    expect(message).not.toContain("k8s/small.yaml");
    expect(message).toContain("acme/deploy@main");
  });

  it.each([
    [
      "a missing directory",
      { exists: false, reason: "missing" } as const,
      "E_SOURCE_DIR_MISSING",
      /does not exist/,
    ],
    [
      "a file where a directory should be",
      { exists: false, reason: "not-a-directory" } as const,
      "E_SOURCE_DIR_MISSING",
      /is not a directory/,
    ],
    [
      "a directory without manifests",
      listing(blob("k8s/notes.txt", 1)),
      "E_SOURCE_DIR_EMPTY",
      /holds no \.yaml/,
    ],
  ])("fails %s instead of deleting what was applied", (_name, list, code, message) => {
    const result = plan("k8s", list, { "k8s/a.yaml": sha(1) });
    expect(result).toMatchObject({ ok: false, service: "svc", error: { code, services: ["svc"] } });
    expect(!result.ok && result.error.message).toMatch(message);
    expect(!result.ok && result.error.message).toContain("nothing was deleted");
  });
});

describe("blobsToRead and completeService", () => {
  const text = (value: string): BlobText => ({ kind: "text", text: value });

  it("reads a blob shared by two services once and fills both", () => {
    const shared = [blob("a/x.yaml", 1), blob("b/x.yaml", 1)];
    const plans = [plan("a", listing(...shared)), plan("b", listing(...shared))];
    expect(blobsToRead(plans)).toEqual([sha(1)]);
    const blobs = new Map<string, BlobText>([[sha(1), text("kind: ConfigMap\n")]]);
    for (const each of plans) {
      if (!each.ok) throw new Error("plan failed");
      expect(completeService(each, blobs, "acme/deploy@main")).toEqual({
        ok: true,
        service: "svc",
        dir: each.dir,
        changed: true,
        files: [
          { path: `${each.dir}/x.yaml`, sha: sha(1), size: 10, changed: true, content: "kind: ConfigMap\n" },
        ],
        deleted: [],
      });
    }
  });

  it("reads every blob of every ok plan, unchanged ones included, but none of a failed plan", () => {
    const plans = [
      plan("a", listing(blob("a/x.yaml", 1), blob("a/y.yaml", 2)), {
        "a/x.yaml": sha(1),
        "a/y.yaml": sha(2),
      }),
      plan("b", listing(blob("b/x.yaml", 2), blob("b/z.yaml", 3))),
      plan("c", listing(blob("c/big.yaml", 4, 500), blob("c/ok.yaml", 5))),
    ];
    expect(plans.map((each) => each.ok)).toEqual([true, true, false]);
    expect(blobsToRead(plans)).toEqual([sha(1), sha(2), sha(3)]);
  });

  it("returns every file with its content, even for a service with nothing changed and nothing deleted", () => {
    const each = plan("a", listing(blob("a/x.yaml", 1), blob("a/y.yaml", 2)), {
      "a/x.yaml": sha(1),
      "a/y.yaml": sha(2),
    });
    if (!each.ok) throw new Error("plan failed");
    const blobs = new Map([
      [sha(1), text("x: 1\n")],
      [sha(2), text("y: 2\n")],
    ]);
    expect(completeService(each, blobs, "acme/deploy@main")).toEqual({
      ok: true,
      service: "svc",
      dir: "a",
      changed: false,
      files: [
        { path: "a/x.yaml", sha: sha(1), size: 10, changed: false, content: "x: 1\n" },
        { path: "a/y.yaml", sha: sha(2), size: 10, changed: false, content: "y: 2\n" },
      ],
      deleted: [],
    });
  });

  it("reports a service whose only change is a deletion as changed", () => {
    const each = plan("a", listing(blob("a/x.yaml", 1)), { "a/x.yaml": sha(1), "a/gone.yaml": sha(2) });
    if (!each.ok) throw new Error("plan failed");
    expect(completeService(each, new Map([[sha(1), text("x: 1\n")]]), "acme/deploy@main")).toMatchObject({
      ok: true,
      changed: true,
      deleted: ["a/gone.yaml"],
      files: [{ path: "a/x.yaml", changed: false, content: "x: 1\n" }],
    });
  });

  it("fails the service naming every file that is not UTF-8 text", () => {
    const each = plan("a", listing(blob("a/bin.yaml", 1), blob("a/ok.yaml", 2), blob("a/raw.json", 3)));
    if (!each.ok) throw new Error("plan failed");
    const blobs = new Map<string, BlobText>([
      [sha(1), { kind: "binary" }],
      [sha(2), text("ok: true\n")],
      [sha(3), { kind: "binary" }],
    ]);
    const result = completeService(each, blobs, "acme/deploy@main");
    expect(result).toMatchObject({
      ok: false,
      service: "svc",
      dir: "a",
      error: { code: "E_SOURCE_FILE_UNUSABLE", services: ["svc"], repository: "acme/deploy@main" },
    });
    const message = result.ok ? "" : result.error.message;
    expect(message).toContain("a/bin.yaml is not UTF-8 text");
    expect(message).toContain("a/raw.json is not UTF-8 text");
    expect(message).not.toContain("a/ok.yaml");
  });

  it("refuses to complete a plan whose blob was not read", () => {
    const each = plan("a", listing(blob("a/x.yaml", 1)), { "a/x.yaml": sha(1) });
    if (!each.ok) throw new Error("plan failed");
    expect(() => completeService(each, new Map(), "acme/deploy@main")).toThrow(/a\/x\.yaml was not read/);
  });
});

describe("decodeBlobText", () => {
  it.each([
    ["UTF-8 text", Buffer.from("name: café ☕\n"), { kind: "text", text: "name: café ☕\n" }],
    ["a NUL byte", Buffer.from([0x61, 0x00, 0x62]), { kind: "binary" }],
    ["invalid UTF-8", Buffer.from([0x61, 0xe9, 0x62]), { kind: "binary" }],
    ["an empty file", Buffer.alloc(0), { kind: "text", text: "" }],
  ])("decodes %s", (_name, bytes, expected) => {
    expect(decodeBlobText(bytes)).toEqual(expected);
  });
});
