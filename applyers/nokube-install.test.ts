import { createHash } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nokubeInstalled } from "./nokube-install.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "nokube-install-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const content = "#!/bin/sh\necho nokube\n";
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describe("nokubeInstalled", () => {
  it.each([
    { name: "an executable binary, no sha256 pinned", mode: 0o755, sha256: undefined, installed: true },
    { name: "an executable binary matching its sha256", mode: 0o755, sha256: sha(content), installed: true },
    {
      name: "an executable binary matching its sha256 written in upper case",
      mode: 0o755,
      sha256: sha(content).toUpperCase(),
      installed: true,
    },
    { name: "a binary whose sha256 no longer matches", mode: 0o755, sha256: sha("other"), installed: false },
    { name: "a binary that is not executable", mode: 0o644, sha256: undefined, installed: false },
    { name: "no binary at all", mode: undefined, sha256: undefined, installed: false },
  ])("says $installed for $name", async ({ mode, sha256, installed }) => {
    const bin = join(dir, `nokube-${Math.random().toString(36).slice(2)}`);
    if (mode !== undefined) {
      await writeFile(bin, content);
      await chmod(bin, mode);
    }
    expect(await nokubeInstalled({ bin, sha256 })).toBe(installed);
  });
});
