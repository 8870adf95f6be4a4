import { describe, expect, it, vi } from "vitest";
import type { SerializedError, TestModule } from "vitest/node";
import CountReporter from "./count-reporter.js";

/** moduleWith is the part of a vitest TestModule the reporter reads: its state and its tests' states. */
function moduleWith(state: string, tests: readonly string[]): TestModule {
  return {
    state: () => state,
    children: { allTests: () => tests.map((testState) => ({ result: () => ({ state: testState }) })) },
  } as unknown as TestModule;
}

function closingLine(modules: TestModule[], errors: SerializedError[] = []): string {
  const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  try {
    new CountReporter().onTestRunEnd(modules, errors);
    return String(write.mock.calls.at(-1)?.[0]).trim();
  } finally {
    write.mockRestore();
  }
}

describe("the closing line", () => {
  it("counts each test by its result", () => {
    expect(closingLine([moduleWith("failed", ["passed", "failed", "skipped"])])).toBe(
      "tests: 1 passed, 1 failed, 1 skipped",
    );
  });

  it("counts a file that failed outside its tests (import error, a throwing beforeAll) as a failure", () => {
    expect(
      closingLine([moduleWith("passed", ["passed"]), moduleWith("failed", ["skipped", "skipped"])]),
    ).toBe("tests: 1 passed, 1 failed, 2 skipped");
  });

  it("counts an error caught outside any test as a failure", () => {
    expect(
      closingLine([moduleWith("passed", ["passed"])], [{ message: "unhandled" } as SerializedError]),
    ).toBe("tests: 1 passed, 1 failed, 0 skipped");
  });
});
