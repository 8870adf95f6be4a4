import type { Logger } from "pino";
import type { Timers } from "../../common/clock.js";
import { createLogger } from "../../common/log.js";
import { redactUrl } from "../../common/redact-url.js";
import { ConfigError } from "../config/config-error.js";
import { parseListen } from "../config/load.js";
import { readConfigFile } from "../config/read-config-file.js";
import { resolveSecrets } from "../config/resolve-secrets.js";
import { rawConfigSchema } from "../config/schema.js";
import type { Config } from "../config/types.js";
import { CONTROLLER_HELP, type ControllerOptions, parseControllerArgs } from "./cli-options.js";

/** StartupDeps are what start-up reads: flags, environment and files, all from main's edge. */
export interface StartupDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Startup is either an exit status (help, bad flags, bad config) or the validated options and config to run. */
export type Startup = { exitCode: number } | { options: ControllerOptions; config: Config };

/**
 * prepareStartup parses the flags and loads the config with its secrets resolved; every failure is reported on
 * stderr with what to fix and turns into exit status 2 before anything runs.
 */
export function prepareStartup(argv: string[], deps: StartupDeps): Startup {
  let options: ControllerOptions;
  try {
    const parsed = parseControllerArgs(argv);
    if ("help" in parsed) {
      deps.stdout(`${CONTROLLER_HELP}\n`);
      return { exitCode: 0 };
    }
    options = parsed.options;
  } catch (error: unknown) {
    deps.stderr(`simple-gitops: ${(error as Error).message}\nRun with --help for usage.\n`);
    return { exitCode: 2 };
  }
  try {
    const { config } = readConfigFile(options.config, deps.readFile);
    const resolved = resolveSecrets(config, { env: deps.env, readFile: deps.readFile }, options.config);
    return { options, config: options.listen ? withListen(resolved, options.listen) : resolved };
  } catch (error: unknown) {
    if (error instanceof ConfigError) {
      deps.stderr(
        `simple-gitops: ${error.message}\nNothing was applied. Fix the fields above and start again.\n`,
      );
      return { exitCode: 2 };
    }
    throw error;
  }
}

function withListen(config: Config, listen: string): Config {
  const parsed = rawConfigSchema.shape.listen.safeParse(listen);
  if (!parsed.success)
    throw new ConfigError("--listen", [{ path: "--listen", message: 'expected "HOST:PORT"' }]);
  const parsedListen = parseListen(parsed.data);
  if (parsedListen.port > 65535) {
    throw new ConfigError("--listen", [
      { path: "--listen", message: "expected a port from 0 (any free port) to 65535" },
    ]);
  }
  return { ...config, listen: parsedListen };
}

/** startupLogger is the process's logger: JSON lines on stderr, or pretty with LOG_FORMAT=pretty; LOG_LEVEL sets its level. */
export function startupLogger(env: Readonly<Record<string, string | undefined>>): Logger {
  return createLogger({
    format: env.LOG_FORMAT === "pretty" ? "pretty" : "json",
    level: env.LOG_LEVEL ?? "info",
  });
}

/** describeConfig is the start-up log line: what is watched, never a credential. */
export function describeConfig(config: Config, log: Logger): void {
  log.info(
    {
      repos: config.repos.map((repo) => `${repo.owner}/${repo.name}@${repo.branch}`),
      // An api_url may carry userinfo or a query token: only where it points is logged.
      apiUrls: [...new Set(config.repos.map((repo) => redactUrl(repo.apiUrl)))],
      services: config.services.map((service) => service.name),
      pollIntervalSeconds: config.pollIntervalSeconds,
      applyers: config.applyers,
    },
    "configuration loaded",
  );
}

/** StartRetryDeps are the wait between tries (injected so tests advance time), the log, and a way to give up. */
export interface StartRetryDeps {
  readonly timers: Timers;
  readonly log: Logger;
  /** signal ends the retries (shutdown); startWithRetry then resolves false. */
  readonly signal: AbortSignal;
  /** onProblem hears each failed try's message, and undefined once a try succeeded: what `/readyz` reports. */
  readonly onProblem: (message: string | undefined) => void;
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
}

/**
 * startWithRetry calls `start` (load the state, start the loop) until it succeeds, waiting 1 s, 2 s, 4 s … up to
 * 30 s between tries: a state store that cannot be reached at start-up (the apiserver holding the state ConfigMap is
 * down) keeps the process up and unready rather than exiting, so it starts as soon as the store answers.
 */
export async function startWithRetry(start: () => Promise<void>, deps: StartRetryDeps): Promise<boolean> {
  const { firstDelayMs = 1_000, maxDelayMs = 30_000, signal } = deps;
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      await start();
      deps.onProblem(undefined);
      if (attempt > 1) deps.log.info({ attempt }, "state loaded: the loop starts");
      return true;
    } catch (error: unknown) {
      const message = (error as Error).message;
      deps.onProblem(message);
      const delayMs = Math.min(maxDelayMs, firstDelayMs * 2 ** (attempt - 1));
      deps.log.error(
        { err: error, attempt, retryInMs: delayMs },
        "cannot load the state: not ready, retrying",
      );
      await new Promise<void>((resolve) => {
        const onAbort = () => {
          cancel();
          resolve();
        };
        const cancel = deps.timers.after(() => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        }, delayMs);
        signal.addEventListener("abort", onAbort, { once: true });
      });
    }
  }
  return false;
}
