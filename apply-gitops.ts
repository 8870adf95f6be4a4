#!/usr/bin/env -S npx tsx
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
  runKubectl: async (bin, args, input) => {
    const result = await execa(bin, args, { input, all: true, reject: false });
    return { exitCode: result.exitCode ?? 1, output: result.all ?? result.message };
  },
});
process.exitCode = exitCode;
