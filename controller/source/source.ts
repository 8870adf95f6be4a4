import type { SourceError } from "./errors.js";

/**
 * SourceRepository is one watched repository and branch as plain values: the caller has already parsed the config
 * and resolved the token, so a source never reads settings or secrets itself.
 */
export interface SourceRepository {
  readonly owner: string;
  readonly repo: string;
  readonly branch: string;
  /** API root, `https://api.github.com` or a GitHub Enterprise `https://ghe.example.com/api/v3`. */
  readonly apiUrl: string;
  readonly token?: string;
}

/** SourceService is one service's manifest directory in a repository (`""` means the repository root). */
export interface SourceService {
  readonly name: string;
  readonly dir: string;
}

/**
 * KnownState is what the caller last applied for a service: the commit and the blob SHA of every file it recorded.
 * The caller owns it and updates it only after a successful apply, which is what makes a failed apply retried.
 */
export interface KnownState {
  readonly commit?: string;
  /** Blob SHA by path from the repository root (`examples/etcd/deploy.yaml`), as DesiredFile paths are. */
  readonly files: Readonly<Record<string, string>>;
}

/** PollRequest is one poll of one repository and branch for every service that reads from it. */
export interface PollRequest {
  readonly repository: SourceRepository;
  readonly services: readonly SourceService[];
  /** Known state per service name; a service missing here is treated as never applied. */
  readonly known: Readonly<Record<string, KnownState>>;
}

/** SkipReason says why a file under a service directory is neither applied nor reported as deleted. */
export type SkipReason = "too-large" | "binary";

/**
 * DesiredFile is one manifest at the new head. `content` is present only when the blob SHA differs from the known
 * one; a skipped file stays in the list so a caller computing deletions does not prune what it produced before.
 */
export type DesiredFile =
  | { readonly path: string; readonly sha: string; readonly size: number; readonly state: "unchanged" }
  | {
      readonly path: string;
      readonly sha: string;
      readonly size: number;
      readonly state: "changed";
      readonly content: string;
    }
  | {
      readonly path: string;
      readonly sha: string;
      readonly size: number;
      readonly state: "skipped";
      readonly reason: SkipReason;
    };

/** ServiceFiles is the desired state of one service at the new head; `files` is sorted by path. */
export interface ServiceFiles {
  readonly ok: true;
  readonly service: string;
  readonly dir: string;
  /** True when a file changed, appeared, was skipped anew or was deleted compared with the known state. */
  readonly changed: boolean;
  readonly files: readonly DesiredFile[];
  /** Known paths that are no longer manifests at the new head (deleted or renamed away): prune candidates. */
  readonly deleted: readonly string[];
  /** One line per skipped file, for logs and the status API. */
  readonly warnings: readonly string[];
}

/** ServiceFailure is a service the source could not read at the new head; its known state must stay as it is. */
export interface ServiceFailure {
  readonly ok: false;
  readonly service: string;
  readonly dir: string;
  readonly error: SourceError;
}

/** ServiceResult is the outcome of one poll for one service. */
export type ServiceResult = ServiceFiles | ServiceFailure;

/** PollUnchanged says the head did not move and every service already applied it: nothing to do. */
export interface PollUnchanged {
  readonly status: "unchanged";
  readonly changed: false;
  readonly commit: string;
}

/** PollChanged carries the new head and, per service, what to apply and what was deleted. */
export interface PollChanged {
  readonly status: "changed";
  readonly changed: true;
  readonly commit: string;
  readonly services: readonly ServiceResult[];
}

/** PollFailed says the repository could not be read at all; `services` names the same error per service. */
export interface PollFailed {
  readonly status: "failed";
  readonly changed: false;
  readonly error: SourceError;
  readonly services: readonly ServiceFailure[];
}

/** PollResult is the outcome of one poll of one repository and branch. */
export type PollResult = PollUnchanged | PollChanged | PollFailed;

/**
 * Source tells what a service's directory looks like at the head of its branch compared with a known state.
 *
 * A source keeps only caches of facts that cannot go stale (ETag and head per branch, trees and blobs by SHA); it
 * never remembers what was applied, so a poll whose apply failed is reported again until the caller records it.
 */
export interface Source {
  readonly name: string;
  poll(request: PollRequest): Promise<PollResult>;
}
