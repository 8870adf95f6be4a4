import type { Logger } from "pino";
import type { Config } from "../config/types.js";
import { createParseCache } from "../desired/desired-set.js";
import { DIFF_EXIT } from "../report/diff/run-diff.js";
import { selectServices } from "../report/diff/select-services.js";
import type { ClientFor } from "../source/github-clients.js";
import type { Source } from "../source/source.js";
import { previewComment } from "./comment.js";
import type { PreviewDeps } from "./preview-pull.js";
import { previewRef, RefError } from "./ref-preview.js";

/** RefModeDeps are what `--diff --ref` reads from and writes to; main passes the real ones. */
export interface RefModeDeps {
  readonly config: Config;
  readonly source: Source;
  readonly client: ClientFor;
  readonly compare: PreviewDeps["compare"];
  readonly secrets: readonly string[];
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** now is the wall clock the preview is stamped with. */
  readonly now: () => number;
}

/**
 * runRefPreview is `--diff --ref REF`: for each repository of the services named (every one when none is), the
 * preview a pull request merging REF would get, printed as its comment is written (without GitHub's size limit). Its
 * exit status: 0 when every touched service would land with nothing to change, 1 when something would change or
 * fail, 2 for an unknown service or a ref the repository does not have.
 */
export async function runRefPreview(
  ref: string,
  names: readonly string[],
  deps: RefModeDeps,
): Promise<number> {
  const selected = selectServices(deps.config, names);
  if ("error" in selected) {
    deps.stderr(`simple-gitops: ${selected.error}\n`);
    return DIFF_EXIT.badConfig;
  }
  const previewDeps = { ...deps, parseCache: createParseCache() };
  let exit: number = DIFF_EXIT.inSync;
  for (const group of selected.groups) {
    try {
      const preview = await previewRef(ref, group, previewDeps, deps.signal);
      deps.stdout(
        previewComment(preview, {
          clusterName: deps.config.clusterName,
          fullPreview: () => "this output",
          secrets: deps.secrets,
          limit: Number.POSITIVE_INFINITY,
        }),
      );
      const quiet = preview.services.every(
        (s) => s.lands && s.created.length + s.changed.length + s.pruned.length === 0,
      );
      if (!quiet) exit = DIFF_EXIT.differs;
    } catch (error: unknown) {
      if (deps.signal.aborted) throw error;
      deps.stderr(`simple-gitops: ${(error as Error).message}\n`);
      if (error instanceof RefError) return DIFF_EXIT.badConfig;
      exit = DIFF_EXIT.differs;
    }
  }
  return exit;
}
