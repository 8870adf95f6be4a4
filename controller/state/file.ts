import { mkdir, open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";
import { emptyState } from "./state.js";
import { parseState, type StateStore, StateStoreError } from "./store.js";

/**
 * createFileStateStore keeps the state as JSON in `{dir}/state.json`, written atomically: a temp file is written
 * and fsynced, then renamed over the old one, so a crash leaves either the old state or the new, never half.
 */
export function createFileStateStore(dir: string): StateStore {
  const path = join(dir, "state.json");
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
      return parseState(text, path);
    },
    async save(state) {
      const temp = `${path}.${process.pid}.tmp`;
      try {
        await mkdir(dir, { recursive: true });
        const handle = await open(temp, "w", 0o600);
        try {
          await handle.writeFile(`${JSON.stringify(state, null, 2)}\n`);
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
