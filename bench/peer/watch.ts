import { KubeConfig, Watch } from "@kubernetes/client-node";
import { STACK_LABEL, VERSION_LABEL } from "./fixtures.js";

/** VersionWatch notes when each labelled object is first seen at each version. */
export interface VersionWatch {
  /**
   * applied resolves with the moment (performance.now) the last of `count` objects of `stack` was first seen at
   * `version`: the set landed. It rejects after `timeoutMs`, or when a watch fails.
   */
  applied(stack: string, version: number, count: number, timeoutMs: number): Promise<number>;
  /** add starts watching more collections (custom resources, once their CRDs exist). */
  add(paths: readonly string[]): Promise<void>;
  close(): void;
}

interface Meta {
  kind?: string;
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
}

const MAX_RESTARTS = 20;

/**
 * watchVersions watches the collections at `paths` for objects carrying the stack label, so every contender's
 * "applied" is the same observation: the apiserver's watch event, not the contender's own report.
 */
export async function watchVersions(kubeconfig: string, paths: readonly string[]): Promise<VersionWatch> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const watch = new Watch(kc);
  // stack@version → object key → first seen
  const seen = new Map<string, Map<string, number>>();
  const wakers = new Set<() => void>();
  const aborts: AbortController[] = [];
  let failure: unknown;
  const onEvent = (_phase: string, object: Meta) => {
    const labels = object.metadata?.labels ?? {};
    const stack = labels[STACK_LABEL];
    const version = labels[VERSION_LABEL];
    if (!stack || !version) return;
    const key = `${stack}@${version}`;
    const objects = seen.get(key) ?? new Map<string, number>();
    seen.set(key, objects);
    const id = `${object.kind}/${object.metadata?.namespace ?? ""}/${object.metadata?.name}`;
    if (!objects.has(id)) objects.set(id, performance.now());
    for (const wake of wakers) wake();
  };
  const fail = (error: unknown) => {
    failure = error;
    for (const wake of wakers) wake();
  };
  // The apiserver ends a watch when it likes: it is resumed from the last resourceVersion seen, so no event is
  // missed (after a 410 Gone, from a fresh list, whose objects already seen keep their first moment).
  const follow = async (path: string, resumeFrom?: string, restarts = 0): Promise<void> => {
    let version = resumeFrom;
    const query = { labelSelector: STACK_LABEL, ...(version ? { resourceVersion: version } : {}) };
    const abort = await watch.watch(
      path,
      query,
      (phase: string, object: Meta) => {
        if (phase === "ERROR") version = undefined;
        else version = object.metadata?.resourceVersion ?? version;
        onEvent(phase, object);
      },
      (error: unknown) => {
        // An abort on close ends the watch too; only an unexpected end is a failure.
        if (closed) return;
        if (restarts >= MAX_RESTARTS)
          fail(error ?? new Error(`the watch of ${path} ended ${restarts} times`));
        else {
          process.stderr.write(`[bench] the watch of ${path} ended (${String(error)}); resumed\n`);
          setTimeout(() => follow(path, version, restarts + 1).catch(fail), 200);
        }
      },
    );
    aborts.push(abort);
  };
  const add = async (more: readonly string[]) => {
    for (const path of more) await follow(path);
  };
  let closed = false;
  await add(paths);
  return {
    add,
    async applied(stack, version, count, timeoutMs) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        if (failure !== undefined)
          throw new Error("a watch of the benchmark objects failed", { cause: failure });
        const objects = seen.get(`${stack}@${version}`);
        if (objects && objects.size >= count) return Math.max(...objects.values());
        const left = deadline - performance.now();
        if (left <= 0)
          throw new Error(
            `${stack}: ${objects?.size ?? 0} of ${count} objects reached version ${version} in ${timeoutMs} ms`,
          );
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            wakers.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, left);
          wakers.add(wake);
        });
      }
    },
    close() {
      closed = true;
      for (const abort of aborts) abort.abort();
    },
  };
}
