import type { SourceError } from "./errors.js";
import type { GitHubClient } from "./github-client.js";
import type { RequestContext } from "./github-errors.js";
import type { BlobText, PlannedFile, ServicePlan, TreeEntry } from "./plan.js";
import type { ServiceFailure, SourceRepository } from "./source.js";

/** BlobReadInput is one poll's plans and what is known of its commit. */
export interface BlobReadInput {
  readonly client: GitHubClient;
  readonly repository: SourceRepository;
  readonly plans: readonly (ServicePlan | ServiceFailure)[];
  readonly context: (what: string, subset?: readonly string[]) => RequestContext;
  /** The commit read, and its whole tree when GitHub sent it whole: what a tarball is asked for and sized by. */
  readonly commit?: string;
  readonly tree?: readonly TreeEntry[];
  /**
   * Files a later step will probably need (a kustomization's bases before its text is read): they count towards
   * choosing a tarball and are kept from it, but are never read blob by blob.
   */
  readonly prefetch?: readonly PlannedFile[];
}

/** BlobsRead is every blob a poll needs, as text, or the error that kept one from being read. */
export interface BlobsRead {
  readonly texts: Map<string, BlobText>;
  readonly errors: Map<string, SourceError>;
}

/** ReadBlobs reads the blobs of some plans (and, when it reads a tarball anyway, of `prefetch`) for one poll. */
export type ReadBlobs = (
  plans: readonly (ServicePlan | ServiceFailure)[],
  prefetch?: readonly PlannedFile[],
) => Promise<BlobsRead>;
