import pino from "pino";
import { describe, expect, it } from "vitest";
import { createManualTime } from "../../test/manual-time.js";
import { prepareStartup, startWithRetry } from "./startup.js";

const CONFIG = `
github_configs:
  nokube: { repo_owner: AI-Infra-Team, repo_name: nokube, token_env: GH_TOKEN }
services:
  - { name: etcd, github: nokube, k8s_yaml_dir: examples/etcd }
`;

function start(
  argv: string[],
  env: Record<string, string> = {},
  files: Record<string, string> = { "c.yaml": CONFIG },
) {
  const out = { stdout: "", stderr: "" };
  const result = prepareStartup(argv, {
    env,
    readFile: (path) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
      return text;
    },
    stdout: (text) => {
      out.stdout += text;
    },
    stderr: (text) => {
      out.stderr += text;
    },
  });
  return { result, out };
}

describe("controller start-up", () => {
  it("prints complete help", () => {
    const { result, out } = start(["--help"]);
    expect(result).toEqual({ exitCode: 0 });
    for (const flag of ["--config", "--once", "--dry-run", "--state-dir", "--listen", "LOG_FORMAT"]) {
      expect(out.stdout).toContain(flag);
    }
  });

  it.each([
    ["an unknown flag", ["--config", "c.yaml", "--verbose"], "Unknown option '--verbose'"],
    ["a missing --config", ["--once"], "missing --config FILE"],
    [
      "an unreadable config file",
      ["--config", "nope.yaml"],
      "nope.yaml: 1 configuration error\n  (file): cannot read the config file (ENOENT)",
    ],
    [
      "a token_env that is not set",
      ["--config", "c.yaml"],
      "github_configs.nokube.token_env: environment variable GH_TOKEN is not set",
    ],
    ["a bad --listen", ["--config", "c.yaml", "--listen", "nowhere"], '--listen: expected "HOST:PORT"'],
  ])("exits 2 on %s", (_name, argv, message) => {
    const { result, out } = start(argv, message.includes("GH_TOKEN") ? {} : { GH_TOKEN: "t" });
    expect(result).toEqual({ exitCode: 2 });
    expect(out.stderr).toContain(message);
  });

  it("returns the options and the config with its secrets resolved", () => {
    const { result } = start(
      ["--config", "c.yaml", "--once", "--dry-run", "--state-dir", "/tmp/s", "--listen", "127.0.0.1:0"],
      {
        GH_TOKEN: "ghp_value",
      },
    );
    if (!("config" in result)) throw new Error("expected a config");
    expect(result.options).toEqual({
      config: "c.yaml",
      once: true,
      dryRun: true,
      stateDir: "/tmp/s",
      listen: "127.0.0.1:0",
    });
    expect(result.config.listen).toEqual({ host: "127.0.0.1", port: 0 });
    expect(result.config.repos[0]?.token?.value?.reveal()).toBe("ghp_value");
  });

  it("documents --diff and --service in the help, with their exit statuses", () => {
    const { out } = start(["--help"]);
    for (const text of [
      "--diff",
      "--service NAME",
      "0 in sync, 1 something differs",
      "Not with --once or --dry-run",
    ]) {
      expect(out.stdout).toContain(text);
    }
  });

  it.each([
    ["--diff alone", ["--diff"], { diff: true }],
    ["one --service", ["--diff", "--service", "etcd"], { diff: true, services: ["etcd"] }],
    [
      "several --service",
      ["--diff", "--service", "a", "--service", "b"],
      { diff: true, services: ["a", "b"] },
    ],
  ])("accepts %s", (_name, argv, want) => {
    const { result } = start(["--config", "c.yaml", ...argv], { GH_TOKEN: "t" });
    if (!("options" in result)) throw new Error("expected options");
    expect(result.options).toEqual({
      config: "c.yaml",
      once: false,
      dryRun: false,
      stateDir: ".state",
      ...want,
    });
  });

  it.each([
    ["--diff with --once", ["--diff", "--once"], "--diff and --once cannot be used together"],
    ["--diff with --dry-run", ["--diff", "--dry-run"], "--diff and --dry-run cannot be used together"],
    ["--service without --diff", ["--service", "etcd"], "--service NAME is only used with --diff"],
    ["--service without a name", ["--diff", "--service", ""], "--service needs a service name"],
    ["--diff with a value", ["--diff=yes"], "Option '--diff' does not take an argument"],
  ])("exits 2 on %s", (_name, argv, message) => {
    const { result, out } = start(["--config", "c.yaml", ...argv], { GH_TOKEN: "t" });
    expect(result).toEqual({ exitCode: 2 });
    expect(out.stderr).toContain(message);
  });
});

describe("startWithRetry", () => {
  const setup = (failures: number) => {
    const time = createManualTime();
    const problems: (string | undefined)[] = [];
    const lines: { msg: string; retryInMs?: number }[] = [];
    let tries = 0;
    const aborter = new AbortController();
    const started = startWithRetry(
      async () => {
        tries++;
        if (tries <= failures)
          throw new Error(`ConfigMap ops/state: GET failed: ECONNREFUSED (try ${tries})`);
      },
      {
        timers: time,
        signal: aborter.signal,
        log: pino({ level: "info" }, { write: (line: string) => lines.push(JSON.parse(line)) }),
        onProblem: (message) => problems.push(message),
      },
    );
    // The first try fails on a later turn of the event loop; its wait is armed only then.
    const settled = new Promise((resolve) => setImmediate(resolve));
    return { time, problems, lines, started, aborter, tries: () => tries, settled };
  };

  it("retries with a doubling wait capped at 30 s, reporting each failure, until the state loads", async () => {
    const { time, problems, lines, started, tries, settled } = setup(7);
    await settled;
    await time.advance(1_000 + 2_000 + 4_000 + 8_000 + 16_000 + 30_000 - 1);
    expect(tries()).toBe(6);
    await time.advance(1 + 30_000);
    expect(await started).toBe(true);
    expect(tries()).toBe(8);
    expect(lines.flatMap((l) => (l.retryInMs ? [l.retryInMs] : []))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
    expect(problems.at(-2)).toBe("ConfigMap ops/state: GET failed: ECONNREFUSED (try 7)");
    expect(problems.at(-1)).toBeUndefined();
    expect(time.pending()).toBe(0);
  });

  it("gives up at once on shutdown, leaving no timer behind", async () => {
    const { time, started, aborter, settled } = setup(Number.POSITIVE_INFINITY);
    await settled;
    await time.advance(3_000);
    aborter.abort();
    expect(await started).toBe(false);
    expect(time.pending()).toBe(0);
  });
});
