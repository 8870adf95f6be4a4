import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer } from "../../../test/server/test-harness.js";

/** get sends the path byte for byte (fetch would normalise `//` and percent-escapes) and answers the status. */
function get(url: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/`, { path }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

type Step = { readonly get: string; readonly times?: number } | { readonly advance: number };

describe("release tree: warns about symlinks leaving the root", () => {
  let base: string;
  let root: string;
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), "release-warns-"));
    root = join(base, "release");
    await mkdir(join(root, "scripts"), { recursive: true });
    await mkdir(join(base, "elsewhere"));
    await writeFile(join(base, "outside.txt"), "outside\n");
    await writeFile(join(base, "elsewhere", "passwd"), "root:x:0:0\n");
    await writeFile(join(base, "elsewhere", "shadow"), "root:*\n");
    await writeFile(join(root, "scripts", "init.sh"), "#!/bin/sh\n");
    await symlink(join(base, "outside.txt"), join(root, "link-out.txt"));
    await symlink(join(base, "outside.txt"), join(root, "other-out.txt"));
    await symlink(join(base, "elsewhere"), join(root, "escape"));
    await symlink(join(base, "elsewhere"), join(root, "scripts", "out"));
    // A link inside the tree to a directory that holds a link out: the warn names the link that leaves.
    await symlink(join(root, "scripts"), join(root, "current"));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  const cases: { name: string; steps: Step[]; lines: { link: string; suppressed: number }[] }[] = [
    {
      name: "one link asked for 200 times writes one line",
      steps: [{ get: "/link-out.txt", times: 200 }],
      lines: [{ link: "link-out.txt", suppressed: 0 }],
    },
    {
      name: "every spelling of one link is one subject",
      steps: [
        { get: "/link-out.txt" },
        { get: "//link-out.txt" },
        { get: "/%6Cink-out.txt" },
        { get: "/link-out.txt?v=2" },
      ],
      lines: [{ link: "link-out.txt", suppressed: 0 }],
    },
    {
      name: "every file behind one directory link is one subject",
      steps: [{ get: "/escape/passwd" }, { get: "/escape/shadow" }, { get: "/escape/passwd", times: 5 }],
      lines: [{ link: "escape", suppressed: 0 }],
    },
    {
      name: "a link reached through another link is named by its real place",
      steps: [{ get: "/scripts/out/passwd" }, { get: "/current/out/shadow" }],
      lines: [{ link: "scripts/out", suppressed: 0 }],
    },
    {
      name: "two links write a line each",
      steps: [
        { get: "/link-out.txt", times: 3 },
        { get: "/other-out.txt", times: 3 },
      ],
      lines: [
        { link: "link-out.txt", suppressed: 0 },
        { link: "other-out.txt", suppressed: 0 },
      ],
    },
    {
      name: "a minute later the next line counts what was held back",
      steps: [{ get: "/link-out.txt", times: 7 }, { advance: 60_000 }, { get: "/link-out.txt", times: 2 }],
      lines: [
        { link: "link-out.txt", suppressed: 0 },
        { link: "link-out.txt", suppressed: 6 },
      ],
    },
    {
      name: "within the minute nothing more is written",
      steps: [{ get: "/escape/passwd" }, { advance: 59_999 }, { get: "/escape/passwd" }],
      lines: [{ link: "escape", suppressed: 0 }],
    },
  ];
  it.each(cases)("$name", async ({ steps, lines }) => {
    let now = Date.UTC(2026, 0, 1);
    const logged: { msg: string; link: string; suppressed: number; path: string }[] = [];
    const t = await startTestServer({
      releaseDir: root,
      clock: () => new Date(now),
      log: pino({ level: "warn" }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
    });
    try {
      for (const step of steps) {
        if ("advance" in step) {
          now += step.advance;
          continue;
        }
        for (let i = 0; i < (step.times ?? 1); i++) expect(await get(t.url, step.get)).toBe(404);
      }
    } finally {
      await t.server.close();
    }
    expect(logged.map(({ link, suppressed }) => ({ link, suppressed }))).toEqual(lines);
    for (const line of logged) expect(line.msg).toContain("a symlink points outside the root");
  });
});
