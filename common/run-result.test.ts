import { describe, expect, it } from "vitest";
import { runResult, spawnFailure } from "./run-result.js";

const ran = { stdout: "out", stdoutOverflow: false, exitCode: 0, timedOut: false, timeoutMs: 250 };

describe("runResult", () => {
  it.each([
    {
      name: "a finished run as it ended",
      run: { ...ran, stderr: "warn" },
      stderr: "warn",
      extra: { exitCode: 0 },
    },
    {
      name: "a timed-out run with stderr that ends mid-line",
      run: { ...ran, exitCode: undefined, timedOut: true, stderr: "half" },
      stderr: "half\ntimed out after 250 ms",
      extra: { timedOut: true },
    },
    {
      name: "a timed-out run with stderr that ends a line",
      run: { ...ran, exitCode: undefined, timedOut: true, stderr: "line\n" },
      stderr: "line\ntimed out after 250 ms",
      extra: { timedOut: true },
    },
    {
      name: "a timed-out run that printed nothing on stderr",
      run: { ...ran, exitCode: undefined, timedOut: true, stderr: "" },
      stderr: "timed out after 250 ms",
      extra: { timedOut: true },
    },
    {
      name: "a run whose stdout overflowed",
      run: { ...ran, exitCode: undefined, stdoutOverflow: true, stderr: "" },
      stderr: "",
      extra: { stdoutOverflow: true },
    },
  ])("says $name", ({ run, stderr, extra }) => {
    expect(runResult(run)).toEqual({ stdout: "out", stderr, ...extra });
  });
});

describe("spawnFailure", () => {
  it.each([
    {
      name: "the error code, with what the child printed",
      stderr: "printed",
      code: "ENOENT",
      message: "printed",
    },
    {
      name: "the error's message when nothing was printed",
      stderr: "",
      code: "EACCES",
      message: "spawn EACCES",
    },
  ])("gives $name", ({ stderr, code, message }) => {
    const error = Object.assign(new Error(`spawn ${code}`), { code });
    expect(spawnFailure(stderr, error)).toEqual({ stdout: "", stderr: message, spawnError: code });
  });
});
