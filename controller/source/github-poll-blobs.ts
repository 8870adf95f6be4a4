import type { SourceError } from "./errors.js";
import type { BlobsRead, ReadBlobs } from "./github-blob-input.js";
import { planFiles } from "./github-kustomize-files.js";
import type { BlobText, PlannedFile, ServicePlan } from "./plan.js";
import type { ServiceFailure, SourceService } from "./source.js";

/**
 * PollBlobs is every blob one poll has read, as text or as the error that kept it, and reads more on demand: each
 * SHA at most once, however many services ask for it (services sharing a base read its kustomization once).
 */
export class PollBlobs {
  readonly texts: Map<string, BlobText>;
  readonly errors: Map<string, SourceError>;
  readonly #inflight = new Map<string, Promise<void>>();

  constructor(
    private readonly readBlobs: ReadBlobs,
    first: BlobsRead,
  ) {
    this.texts = new Map(first.texts);
    this.errors = new Map(first.errors);
  }

  /** has says whether `sha` was read, as text or as an error. */
  has(sha: string): boolean {
    return this.texts.has(sha) || this.errors.has(sha);
  }

  /** read reads one file for `service`, unless it was read or is being read already. */
  async read(service: SourceService, file: PlannedFile): Promise<void> {
    if (this.has(file.sha)) return;
    let reading = this.#inflight.get(file.sha);
    if (reading === undefined) {
      reading = this.readBlobs([planFiles(service, [file])]).then((more) => this.#merge(more));
      this.#inflight.set(file.sha, reading);
    }
    await reading;
  }

  /** readUnread reads, in one read, every file of `plans` not read yet. */
  async readUnread(plans: readonly (ServicePlan | ServiceFailure | undefined)[]): Promise<void> {
    const rest = plans.flatMap((plan) => {
      if (!plan?.ok) return [];
      const unread = plan.files.filter((file) => !this.has(file.sha));
      return unread.length === 0 ? [] : [{ ...plan, files: unread }];
    });
    if (rest.length > 0) this.#merge(await this.readBlobs(rest));
  }

  #merge(more: BlobsRead): void {
    for (const [sha, text] of more.texts) this.texts.set(sha, text);
    for (const [sha, error] of more.errors) this.errors.set(sha, error);
  }
}
