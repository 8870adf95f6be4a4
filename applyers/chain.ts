import type { Logger } from "pino";
import type { KubeObject } from "../kube/objects.js";
import { type Applyer, ApplyerUnavailableError, type ApplyOptions, type DeleteRef } from "./applyer.js";

/** ApplyerChainOptions configure {@link createApplyerChain}. */
export interface ApplyerChainOptions {
  /** applyers in the configured order; the first available one does the work. */
  applyers: readonly Applyer[];
  log: Logger;
}

/**
 * createApplyerChain tries applyers in order. One that is unavailable (throws {@link ApplyerUnavailableError} while
 * installing or starting) hands over to the next, and the log says so. Anything else, including objects the server
 * rejects, is the answer: a rejected object is a failure of that object and is never re-sent through another
 * applyer, because a second applyer would be rejected by the same server for the same reason.
 */
export function createApplyerChain({ applyers, log }: ApplyerChainOptions): Applyer {
  if (applyers.length === 0) throw new Error("createApplyerChain needs at least one applyer");
  // ensureInstalled can download or spawn; once it succeeded it is not repeated until the applyer fails to start.
  // The promise is what is kept, so syncs running at once (repositories are polled concurrently) share one install
  // instead of racing two downloads into the same file.
  const installed = new Map<Applyer, Promise<void>>();

  async function firstAvailable<T>(verb: string, work: (applyer: Applyer) => Promise<T>): Promise<T> {
    const reasons: string[] = [];
    for (const [i, applyer] of applyers.entries()) {
      try {
        let install = installed.get(applyer);
        if (install === undefined) {
          install = applyer.ensureInstalled();
          installed.set(applyer, install);
        }
        await install;
        return await work(applyer);
      } catch (error: unknown) {
        if (!(error instanceof ApplyerUnavailableError)) throw error;
        installed.delete(applyer);
        reasons.push(error.message);
        const next = applyers[i + 1]?.name;
        log.warn(
          { applyer: applyer.name, next, err: error },
          next
            ? `applyer ${applyer.name} unavailable for ${verb}; handing over to ${next}`
            : `applyer ${applyer.name} unavailable for ${verb}`,
        );
      }
    }
    throw new ApplyerUnavailableError("chain", `no applyer could ${verb}: ${reasons.join("; ")}`);
  }

  return {
    name: applyers.map((a) => a.name).join(">"),
    async ensureInstalled() {
      await firstAvailable("install", async () => undefined);
    },
    apply(objects: readonly KubeObject[], opts?: ApplyOptions) {
      return firstAvailable("apply", (applyer) => applyer.apply(objects, opts));
    },
    delete(refs: readonly DeleteRef[], opts?: ApplyOptions) {
      return firstAvailable("delete", (applyer) => applyer.delete(refs, opts));
    },
  };
}
