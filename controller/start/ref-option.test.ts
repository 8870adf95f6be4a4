import { describe, expect, it } from "vitest";
import { CONTROLLER_HELP, parseControllerArgs } from "./cli-options.js";

describe("--diff --ref", () => {
  it("reads the ref with --diff, beside --service", () => {
    expect(
      parseControllerArgs(["--config", "c.yaml", "--diff", "--ref", "feature/x", "--service", "web"]),
    ).toEqual({
      options: expect.objectContaining({ diff: true, ref: "feature/x", services: ["web"] }),
    });
  });
  it.each([
    ["--ref without --diff", ["--config", "c.yaml", "--ref", "main"], "--ref REF is only used with --diff"],
    [
      "an empty ref",
      ["--config", "c.yaml", "--diff", "--ref", " "],
      "--ref needs a commit SHA or a branch name",
    ],
  ])("refuses %s", (_name, argv, message) => {
    expect(() => parseControllerArgs(argv)).toThrow(message);
  });
  it("is in the help, with what it prints and its exit statuses", () => {
    expect(CONTROLLER_HELP).toMatch(/--ref REF +with --diff, preview what merging REF/);
    expect(CONTROLLER_HELP).toContain(
      "0 every touched service lands unchanged, 1 something would change or fail",
    );
  });
});
