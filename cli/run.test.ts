import { describe, expect, it } from "vitest";
import { cli } from "../test/cli/cli-harness.js";
import { COMMANDS } from "./run.js";

describe("simple-gitops", () => {
  it("lists every command in its help, and exits 2 with it when no command is given", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    for (const command of COMMANDS) expect(help.stdout).toContain(`  ${command.usage}`);
    for (const variable of ["SIMPLE_GITOPS_SERVER", "GITOPS_SYNC_TOKEN", "GITOPS_READ_TOKEN", "KUBECONFIG"])
      expect(help.stdout).toContain(variable);
    const none = await cli([]);
    expect([none.code, none.stdout]).toEqual([2, ""]);
    expect(none.stderr).toContain(
      "a command is needed: get, reconcile, suspend, resume, history, rollback, events, diff",
    );
  });

  it.each(
    COMMANDS.map((command) => ({ name: command.name, command })),
  )("gives $name a --help that names each of its flags", async ({ command }) => {
    const run = await cli([command.name, "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: simple-gitops ${command.name} `));
    for (const flag of command.flags) expect(run.stdout).toContain(`--${flag}`);
    expect(run.stdout).toContain("Exit status: 0");
  });

  it.each([
    { name: "an unknown command", args: ["status"], says: 'unknown command "status" (known: get, reconcile' },
    {
      name: "an unknown flag",
      args: ["get", "services", "--serverr", "x"],
      says: "Unknown option '--serverr'",
    },
    { name: "a flag of another verb", args: ["get", "services", "--wait"], says: "get does not take --wait" },
    { name: "a flag without its value", args: ["get", "services", "--server"], says: "--server" },
    {
      name: "no controller to talk to",
      args: ["get", "services"],
      says: "no controller to talk to: give --server URL (or set SIMPLE_GITOPS_SERVER)",
    },
    {
      name: "both ways to the controller",
      args: ["get", "services", "--server", "http://x", "--kube-namespace", "ops"],
      says: "give --server or --kube-namespace, not both",
    },
    {
      name: "a server that is not a URL",
      args: ["get", "repos", "--server", "ctl:8080"],
      says: 'not "ctl:8080"',
    },
    {
      name: "a proxy flag without --kube-namespace",
      args: ["get", "repos", "--server", "http://x", "--kube-port", "80"],
      says: "--kube-port goes with --kube-namespace",
    },
    {
      name: "a namespace that cannot be one",
      args: ["get", "repos", "--kube-namespace", "Ops_1"],
      says: '--kube-namespace must be a namespace name, not "Ops_1"',
    },
    {
      name: "a bad output format",
      args: ["get", "repos", "-o", "wide", "--server", "http://x"],
      says: "--output must be json or yaml",
    },
    { name: "a missing service", args: ["suspend", "--server", "http://x"], says: "suspend needs SERVICE" },
    {
      name: "two services",
      args: ["resume", "a", "b", "--server", "http://x"],
      says: "resume takes one SERVICE, not also b",
    },
  ])("exits 2 on $name, saying what to do", async ({ args, says }) => {
    const run = await cli(args);
    expect([run.code, run.stdout]).toEqual([2, ""]);
    expect(run.stderr).toContain(says);
    expect(run.stderr).toMatch(/\nSee: simple-gitops (\w+ )?--help\n$/);
  });

  it("exits 1 when the controller cannot be reached, naming the address and the flag", async () => {
    const run = await cli(["get", "services", "--server", "http://127.0.0.1:9"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("cannot reach the controller at http://127.0.0.1:9: connect ECONNREFUSED");
    expect(run.stderr).toContain("is --server (or SIMPLE_GITOPS_SERVER) its address?");
  });
});
