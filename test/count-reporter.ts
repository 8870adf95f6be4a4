import type { Reporter, SerializedError, TestModule } from "vitest/node";

/**
 * countReporter prints one plain closing line, `tests: N passed, N failed, N skipped`, after vitest's own summary,
 * because CI reads that exact line shape to tell a run that tested something from one that tested nothing. A test
 * file that failed outside its tests (it could not be imported, a `beforeAll` threw, so its tests never ran) and an
 * error vitest caught outside any test each count as one failure: they are never hidden among the skipped.
 */
export default class CountReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError> = [],
  ): void {
    const counts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    for (const module of testModules) {
      let failedTests = 0;
      for (const testCase of module.children.allTests()) {
        const state = testCase.result().state;
        if (state === "passed") counts.passed += 1;
        else if (state === "failed") failedTests += 1;
        else counts.skipped += 1;
      }
      const failedOutsideTests = module.state() === "failed" && failedTests === 0;
      counts.failed += failedTests + (failedOutsideTests ? 1 : 0);
    }
    process.stdout.write(
      `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}
