import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { rawConfigSchema } from "../controller/config/schema.js";
import {
  CONFIG_REFERENCE_PATH,
  configReference,
  EXAMPLE_CONFIG_PATH,
  REGENERATE,
} from "./config-reference.js";
import { brokenLinks, relativeLinks } from "./markdown-links.js";

const example = readFileSync(EXAMPLE_CONFIG_PATH, "utf8");

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
    const reference = configReference(example);
    expect(relativeLinks(reference).length).toBeGreaterThan(0);
    expect(brokenLinks(CONFIG_REFERENCE_PATH, reference)).toEqual([]);
  });
});
