import { mkdir, open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { corruptSuffix, recoverState } from "./parse-state.js";
import { emptyState } from "./state.js";
import { type StateStore, StateStoreError } from "./store.js";

/** FileStateStoreOptions: where errors about the stored state are logged, and the clock that names a moved file. */
export interface FileStateStoreOptions {
  /** log hears which file was moved aside and which entries were dropped; silent unless given. */
  readonly log?: Logger;
  readonly now?: () => number;
}

/**
 * createFileStateStore keeps the state as JSON in `{dir}/state.json`, written atomically: a temp file is written
 * and fsynced, then renamed over the old one, so a crash leaves either the old state or the new, never half. A file
 * that cannot be read as a state (empty, truncated, garbage) is renamed to `state.json.corrupt-<time>` and the
 * store starts empty, rather than keep the controller from starting until a person moves it.
 */
export function createFileStateStore(dir: string, options: FileStateStoreOptions = {}): StateStore {
  const path = join(dir, "state.json");
  const log = options.log ?? pino({ level: "silent" });
  const now = options.now ?? Date.now;

  async function moveAside(): Promise<string> {
    const aside = `${path}.${corruptSuffix(now())}`;
    try {
      await rename(path, aside);
    } catch (error: unknown) {
      throw new StateStoreError(`cannot move the unreadable ${path} aside: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return aside;
  }

  return {
    name: `file:${path}`,
    async load() {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error: unknown) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
        throw new StateStoreError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
      }
      return recoverState(text, path, log, moveAside);
    },
    async save(state) {
      const temp = `${path}.${process.pid}.tmp`;
      try {
        await mkdir(dir, { recursive: true });
        const handle = await open(temp, "w", 0o600);
        try {
          await handle.writeFile(`${JSON.stringify(state)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await rename(temp, path);
      } catch (error: unknown) {
        throw new StateStoreError(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
      }
    },
  };
}
