import { describe, expect, it } from "vitest";
import { layoutFor } from "./layout.js";

describe("layoutFor", () => {
  const cases = [
    { name: "keeps a small state in one ConfigMap", stored: undefined, servicesBytes: 100, want: undefined },
    {
      name: "keeps services of exactly half the limit in one",
      stored: undefined,
      servicesBytes: 500,
      want: undefined,
    },
    { name: "splits services over half the limit", stored: undefined, servicesBytes: 501, want: 64 },
    { name: "keeps a split state split when it shrinks", stored: 64, servicesBytes: 10, want: 64 },
    { name: "keeps the stored count of shards", stored: 32, servicesBytes: 900, want: 32 },
  ];
  it.each(cases)("$name", ({ stored, servicesBytes, want }) => {
    expect(layoutFor({ stored, servicesBytes, maxBytes: 1000, shards: 64 })).toBe(want);
  });
});
