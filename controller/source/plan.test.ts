import { describe, expect, it } from "vitest";
import { decodeBlobText } from "./blob-text.js";
import {
  type BlobText,
  blobsToFetch,
  completeService,
  type DirListing,
  isUnderDir,
  normalizeDir,
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
  it("fetches new and changed manifests, keeps unchanged ones, and lists vanished known paths as deleted", () => {
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
        { path: "k8s/a.yml", sha: sha(1), size: 10, state: "unchanged" },
        { path: "k8s/b.yaml", sha: sha(2), size: 10, state: "fetch" },
        { path: "k8s/sub/c.json", sha: sha(3), size: 10, state: "fetch" },
      ],
      deleted: ["k8s/gone.yaml"],
    });
  });

  it("marks an over-limit changed file too large, but an over-limit known file unchanged", () => {
    const result = plan("k8s", listing(blob("k8s/big.yaml", 1, 500), blob("k8s/old.yaml", 2, 500)), {
      "k8s/old.yaml": sha(2),
    });
    expect(result.ok && result.files.map((file) => file.state)).toEqual(["too-large", "unchanged"]);
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

describe("blobsToFetch and completeService", () => {
  it("reads a blob shared by two services once and fills both", () => {
    const shared = [blob("a/x.yaml", 1), blob("b/x.yaml", 1)];
    const plans = [plan("a", listing(...shared)), plan("b", listing(...shared))];
    expect(blobsToFetch(plans)).toEqual([sha(1)]);
    const blobs = new Map<string, BlobText>([[sha(1), { kind: "text", text: "kind: ConfigMap\n" }]]);
    for (const each of plans) {
      if (!each.ok) throw new Error("plan failed");
      expect(completeService(each, blobs, 100)).toMatchObject({
        ok: true,
        changed: true,
        files: [{ state: "changed", content: "kind: ConfigMap\n" }],
        warnings: [],
      });
    }
  });

  it("reports a service with nothing changed and nothing deleted as unchanged", () => {
    const each = plan("a", listing(blob("a/x.yaml", 1)), { "a/x.yaml": sha(1) });
    if (!each.ok) throw new Error("plan failed");
    expect(completeService(each, new Map(), 100)).toMatchObject({
      changed: false,
      deleted: [],
      warnings: [],
    });
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
