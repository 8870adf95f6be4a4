import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { rawConfigSchema } from "../controller/config/schema.js";
import {
  CONFIG_REFERENCE_PATH,
  configReference,
  EXAMPLE_CONFIG_PATH,
  REGENERATE,
} from "./config-reference.js";

const example = readFileSync(EXAMPLE_CONFIG_PATH, "utf8");

/** slug is the anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replaceAll(" ", "-");

describe("configReference", () => {
  it("is what docs/configuration.md holds", () => {
    const committed = existsSync(CONFIG_REFERENCE_PATH) ? readFileSync(CONFIG_REFERENCE_PATH, "utf8") : "";
    expect(committed, `docs/configuration.md is out of date: run ${REGENERATE}`).toBe(
      configReference(example),
    );
  });

  it("refuses a schema with a key that has no documentation, naming the key", () => {
    const schema = rawConfigSchema.extend({ retry_limit: z.number().default(3) });
    expect(() => configReference(example, schema)).toThrow(/retry_limit: no description/);
  });

  it("links only to files and headings that exist", () => {
    const links = [...configReference(example).matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? "");
    expect(links.length).toBeGreaterThan(0);
    const broken = links.filter((link) => {
      if (/^[a-z]+:/.test(link)) return false;
      const [file = "", anchor] = link.split("#");
      const target = resolve(dirname(CONFIG_REFERENCE_PATH), file);
      if (!existsSync(target)) return true;
      if (anchor === undefined) return false;
      const headings = [...readFileSync(target, "utf8").matchAll(/^#+ (.+)$/gm)].map((h) => slug(h[1] ?? ""));
      return !headings.includes(anchor);
    });
    expect(broken).toEqual([]);
  });
});
