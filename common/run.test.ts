import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEnv, KILL_GRACE_MS, runProcess } from "./run.js";

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "run-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** pidFile is a fresh path a test script writes process ids to. */
const pidFile = () => join(dir, `pids-${n++}`);

/** pids reads the ids a script wrote, waiting for it to have written them. */
async function pids(file: string, count: number): Promise<number[]> {
  for (let i = 0; i < 100; i++) {
    const found = (await readFile(file, "utf8").catch(() => "")).split(/\s+/).filter(Boolean).map(Number);
    if (found.length >= count) return found;
    await sleep(20);
  }
  throw new Error(`${file} never held ${count} process ids`);
}

/** alive is true while a process runs; a zombie (dead, not reaped: PID 1 here may not reap) counts as gone. */
async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
  if (stat === undefined) return process.platform !== "linux";
  return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
}

/** gone waits up to a second for every pid to be gone, and says which are still running. */
async function stillRunning(list: readonly number[]): Promise<number[]> {
  let running: number[] = [...list];
  for (let i = 0; i < 50 && running.length > 0; i++) {
    running = (await Promise.all(running.map(async (pid) => ((await alive(pid)) ? pid : -1)))).filter(
      (pid) => pid !== -1,
    );
    if (running.length > 0) await sleep(20);
  }
  return running;
}

const kill = (list: readonly number[]) => {
  for (const pid of list) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {}
  }
};

// The script's own pid and its background sleep's, which does not hold the run's stdio: only killing the whole
// process group reaches it.
const hanging = (file: string) => `sleep 60 >/dev/null 2>&1 & echo $$ $! > '${file}'; sleep 60`;

describe("runProcess", () => {
  it("captures stdout, stderr and the exit code, and feeds stdin", async () => {
    const result = await runProcess(
      "sh",
      ["-c", 'read line; echo "out:$line:$EXTRA"; echo "err" >&2; exit 3'],
      { input: "hello\n", env: { EXTRA: "x" }, timeoutMs: 10_000 },
    );
    expect(result).toEqual({ exitCode: 3, stdout: "out:hello:x\n", stderr: "err\n" });
  });

  it("gives the child `env` as its whole environment, adding nothing of ours", async () => {
    const result = await runProcess("/bin/sh", ["-c", "env"], {
      env: { PATH: "/usr/bin:/bin", ONLY: "this" },
    });
    const names = result.stdout
      .split("\n")
      .filter((line) => line.includes("="))
      .map((line) => line.slice(0, line.indexOf("=")));
    // sh may add PWD, SHLVL and _ itself; nothing else comes from this process.
    expect(names.filter((name) => !["PWD", "SHLVL", "_"].includes(name)).sort()).toEqual(["ONLY", "PATH"]);
  });

  it("without `env`, passes only the allowlist of our environment: no GITHUB_TOKEN", async () => {
    const saved = { GITHUB_TOKEN: process.env.GITHUB_TOKEN, KUBECONFIG: process.env.KUBECONFIG };
    process.env.GITHUB_TOKEN = "ghp_secret";
    process.env.KUBECONFIG = "/etc/kube/config";
    try {
      const result = await runProcess("/bin/sh", ["-c", "env"]);
      expect(result.stdout).not.toContain("GITHUB_TOKEN");
      expect(result.stdout).not.toContain("ghp_secret");
      expect(result.stdout).toContain("KUBECONFIG=/etc/kube/config\n");
      expect(result.stdout).toContain(`PATH=${process.env.PATH}\n`);
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it("childEnv keeps only the allowlisted names that are set", () => {
    expect(
      childEnv({ PATH: "/bin", HOME: "/h", GITHUB_TOKEN: "t", HTTPS_PROXY: undefined, no_proxy: "x" }),
    ).toEqual({ PATH: "/bin", HOME: "/h", no_proxy: "x" });
  });

  it("reports a binary that cannot be started", async () => {
    const result = await runProcess(join(dir, "no-such-binary"), []);
    expect(result.spawnError).toBe("ENOENT");
    expect(result.exitCode).toBeUndefined();
  });

  it("starts the child as the leader of its own process group", async () => {
    const result = await runProcess("sh", ["-c", "echo $$ $(cut -d' ' -f5 /proc/$$/stat)"]);
    const [pid, group] = result.stdout.trim().split(" ").map(Number);
    const own = Number((await readFile("/proc/self/stat", "utf8")).split(") ")[1]?.split(" ")[2]);
    expect(group).toBe(pid);
    expect(group).not.toBe(own);
  });

  it("lets a run finish under a timeout longer than Node's timers hold (1000 h)", async () => {
    // Handed to setTimeout as is, such a timeout fires after 1 ms and kills the run at once.
    const result = await runProcess("sh", ["-c", "sleep 0.2; echo done"], { timeoutMs: 1000 * 3600 * 1000 });
    expect(result).toEqual({ exitCode: 0, stdout: "done\n", stderr: "" });
  });

  it("kills the whole process group past timeoutMs and says it timed out", async () => {
    const file = pidFile();
    const started = Date.now();
    const result = await runProcess("sh", ["-c", hanging(file)], { timeoutMs: 300 });
    const took = Date.now() - started;
    const group = await pids(file, 2);
    try {
      expect(result.timedOut).toBe(true);
      expect(result.exitCode).toBeUndefined();
      expect(result.stderr).toMatch(/timed out after 300 ms$/);
      expect(took).toBeGreaterThanOrEqual(300);
      // SIGTERM was enough: no wait for the SIGKILL grace.
      expect(took).toBeLessThan(300 + KILL_GRACE_MS);
      expect(await stillRunning(group)).toEqual([]);
    } finally {
      kill(group);
    }
  });

  it("kills a run whose stdout passes maxStdoutBytes, keeping no more than the bound", async () => {
    // `yes` writes without end: only the bound stops it.
    const result = await runProcess("yes", [], { maxStdoutBytes: 100_000, timeoutMs: 10_000 });
    expect(result.stdoutOverflow).toBe(true);
    expect(result.timedOut).toBeUndefined();
    expect(result.stdout.length).toBeLessThanOrEqual(100_000);
    expect(result.stdout.length).toBeGreaterThan(0);
  });

  it("SIGKILLs a group that ignores SIGTERM, after the grace period", async () => {
    const file = pidFile();
    const started = Date.now();
    const result = await runProcess("sh", ["-c", `trap '' TERM; ${hanging(file)}`], { timeoutMs: 200 });
    const took = Date.now() - started;
    const group = await pids(file, 2);
    try {
      expect(result.timedOut).toBe(true);
      expect(took).toBeGreaterThanOrEqual(200 + KILL_GRACE_MS);
      expect(took).toBeLessThan(200 + KILL_GRACE_MS + 2_000);
      expect(await stillRunning(group)).toEqual([]);
    } finally {
      kill(group);
    }
  });

  it("kills the whole process group when the signal aborts, and rejects with the signal's reason", async () => {
    const file = pidFile();
    const controller = new AbortController();
    const reason = new Error("the sync is being stopped");
    const started = Date.now();
    const run = runProcess("sh", ["-c", hanging(file)], { signal: controller.signal, timeoutMs: 60_000 });
    const group = await pids(file, 2);
    try {
      controller.abort(reason);
      await expect(run).rejects.toBe(reason);
      expect(Date.now() - started).toBeLessThan(KILL_GRACE_MS + 1_000);
      expect(await stillRunning(group)).toEqual([]);
    } finally {
      kill(group);
    }
  });

  it("does not start anything when the signal is already aborted", async () => {
    const file = pidFile();
    const controller = new AbortController();
    controller.abort(new Error("stopped before"));
    await expect(
      runProcess("sh", ["-c", `echo started > '${file}'`], { signal: controller.signal }),
    ).rejects.toThrow("stopped before");
    await sleep(200);
    await expect(readFile(file, "utf8")).rejects.toThrow(/ENOENT/);
  });

  it("does not wait for what the child left behind holding its stdout, and kills it", async () => {
    const file = pidFile();
    const started = Date.now();
    const result = await runProcess("sh", ["-c", `sleep 60 & echo $! > '${file}'; echo done`]);
    const left = await pids(file, 1);
    try {
      expect(result).toEqual({ exitCode: 0, stdout: "done\n", stderr: "" });
      expect(Date.now() - started).toBeLessThan(KILL_GRACE_MS);
      expect(await stillRunning(left)).toEqual([]);
    } finally {
      kill(left);
    }
  });

  it("lets the process exit once the run is over, though the child left something behind", async () => {
    const script = join(dir, "exits.mts");
    const file = pidFile();
    const run = new URL("./run.ts", import.meta.url).pathname;
    await writeFile(
      script,
      `import { runProcess } from ${JSON.stringify(run)};
const result = await runProcess("sh", ["-c", "sleep 60 & echo $! > '${file}'; echo done"], { timeoutMs: 30000 });
process.stdout.write(\`\${Date.now()} \${result.stdout}\`);
`,
    );
    const child = await execa(process.execPath, ["--import", "tsx", script], {
      cwd: new URL("..", import.meta.url).pathname,
      timeout: 20_000,
      reject: false,
    });
    const left = await pids(file, 1);
    try {
      expect(child.timedOut).toBe(false);
      expect(child.exitCode).toBe(0);
      const [finishedAt, output] = child.stdout.split(" ");
      expect(output).toBe("done");
      // Nothing of the run (its leftover, the SIGKILL timer) kept the process alive once the run was over.
      expect(Date.now() - Number(finishedAt)).toBeLessThan(KILL_GRACE_MS / 2);
    } finally {
      kill(left);
    }
  }, 30_000);
});
