import type { DesiredFile } from "../desired/files.js";
import type { SourceError } from "./errors.js";
import type { GitHubAppCredentials } from "./github-auth.js";

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
  /** app authenticates as a GitHub App installation instead of with `token`. */
  readonly app?: GitHubAppCredentials;
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

/**
 * ServiceFiles is the desired state of one service at the new head: every manifest of its directory, sorted by
 * path, or, when the directory holds a kustomization, every repository file its build reads (bases elsewhere
 * included, whatever their ending). A file that could not be used (too large, not text) makes the service a
 * {@link ServiceFailure} instead.
 */
export interface ServiceFiles {
  readonly ok: true;
  readonly service: string;
  readonly dir: string;
  /** True when a file changed, appeared or was deleted compared with the known state. */
  readonly changed: boolean;
  readonly files: readonly DesiredFile[];
  /** Known paths that are no longer manifests at the new head (deleted or renamed away). */
  readonly deleted: readonly string[];
}

/**
 * ServiceFailure is a service the source could not read whole at the new head (a missing directory, a file too
 * large or not text, a blob that could not be fetched, a kustomization whose closure cannot be made); its known
 * state must stay as it is.
 */
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

/** PollChanged carries the new head and, per service, its whole desired set or why it could not be read. */
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
 * Source reads every manifest of each service's directory at the head of its branch, and says which files differ
 * from a known state.
 *
 * A source keeps only caches of facts that cannot go stale (ETag and head per branch, trees and blobs by SHA); it
 * never remembers what was applied, so a poll whose apply failed is reported again until the caller records it.
 */
export interface Source {
  readonly name: string;
  poll(request: PollRequest): Promise<PollResult>;
  /**
   * read returns the files of a known set (path → blob SHA) with their text, from the blob cache where it can: a
   * reconcile of a landed commit costs no GitHub request while the blobs are cached. With `commit` it reads the
   * service's directory at that commit instead, whatever the branch's head, and says which files differ from
   * `files`: how a rollback reads an earlier landed set.
   */
  read(request: ReadRequest): Promise<ServiceResult>;
}

/** ReadRequest names a service's known set of files in one repository, or a commit to read its directory at. */
export interface ReadRequest {
  readonly repository: SourceRepository;
  readonly service: SourceService;
  /** The known set: what is read without `commit`, and what the files read at `commit` are compared with. */
  readonly files: Readonly<Record<string, string>>;
  /** A commit SHA to read the service's directory at (its kustomize closure, for a kustomized service). */
  readonly commit?: string;
}
