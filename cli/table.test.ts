import { describe, expect, it } from "vitest";
import { age, formatTable, oneLine } from "./table.js";

const NOW = Date.parse("2026-03-01T12:00:00Z");
const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

describe("age", () => {
  // The cases of k8s.io/apimachinery/pkg/util/duration TestHumanDuration, which kubectl's AGE column prints.
  it.each([
    { seconds: 1, shown: "1s" },
    { seconds: 70, shown: "70s" },
    { seconds: 190, shown: "3m10s" },
    { seconds: 70 * 60, shown: "70m" },
    { seconds: 47 * 60, shown: "47m" },
    { seconds: 5 * 3600 + 3 * 60, shown: "5h3m" },
    { seconds: 5 * 3600, shown: "5h" },
    { seconds: 47 * 3600, shown: "47h" },
    { seconds: 49 * 3600, shown: "2d1h" },
    { seconds: 8 * 24 * 3600, shown: "8d" },
    { seconds: 367 * 24 * 3600, shown: "367d" },
    { seconds: 365 * 2 * 24 * 3600 + 25 * 24 * 3600, shown: "2y25d" },
    { seconds: 365 * 8 * 24 * 3600 + 3600, shown: "8y" },
    { seconds: -1, shown: "0s" },
    { seconds: -3, shown: "<invalid>" },
  ])("shows $seconds s ago as $shown", ({ seconds, shown }) => {
    expect(age(ago(seconds), NOW)).toBe(shown);
  });

  it("shows nothing for a time that is missing or not a time", () => {
    expect([age("", NOW), age(undefined, NOW), age("yesterday", NOW)]).toEqual(["", "", ""]);
  });
});

describe("formatTable", () => {
  it("aligns columns three spaces apart, shows empty cells as <none>, and leaves no trailing space", () => {
    expect(
      formatTable(
        ["NAME", "MESSAGE"],
        [
          ["web", ""],
          ["monitoring", "failed"],
        ],
      ),
    ).toBe("NAME         MESSAGE\nweb          <none>\nmonitoring   failed\n");
  });

  it("folds a message to one line and cuts it", () => {
    expect(oneLine("a\n  b\tc", 100)).toBe("a b c");
    expect(oneLine("x".repeat(120), 10)).toBe(`${"x".repeat(9)}…`);
  });
});
