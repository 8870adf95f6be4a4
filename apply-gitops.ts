#!/usr/bin/env -S npx tsx
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { execa } from "execa";
import { runInstallCli } from "./install/cli.js";
import packageJson from "./package.json" with { type: "json" };

const readFile = (path: string) => readFileSync(path, "utf8");

const exitCode = await runInstallCli(process.argv.slice(2), {
  version: packageJson.version,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readFile,
  lookup: {
    env: (name) => process.env[name],
    file: (path) => {
      try {
        return readFile(path);
      } catch {
        return undefined;
      }
    },
  },
  runKubectl: async (bin, args, { input, timeoutMs }) => {
    const result = await execa(bin, args, {
      ...(input === undefined ? { stdin: "ignore" as const } : { input }),
      all: true,
      reject: false,
      timeout: timeoutMs,
    });
    return {
      exitCode: result.exitCode ?? 1,
      stdout: result.stdout ?? "",
      output: result.all ?? result.message,
    };
  },
  // 32 bytes, as GitHub's webhook secrets and most API tokens: not guessable, and safe in a header (base64url).
  randomToken: () => randomBytes(32).toString("base64url"),
});
process.exitCode = exitCode;
