import { GitOpsError } from "../common/errors.js";
import type { KubeObject, ObjectRef } from "../kube/objects.js";

export type { KubeObject, ObjectRef } from "../kube/objects.js";

/**
 * ApplyAction is what applying did to one object: the server created it, changed it, found nothing to change, or
 * rejected it; or it was not sent at all (`skipped`, with why), which is as much a failure of its sync as `failed`.
 * A dry run that could not ask a cluster what applying would do says `would-apply` rather than guess.
 */
export type ApplyAction = "created" | "configured" | "unchanged" | "failed" | "skipped" | "would-apply";

/** FieldTakeover names fields another field manager held that a forced apply took over for git. */
export interface FieldTakeover {
  manager: string;
  fields: string[];
}

/**
 * DeleteAction is what deleting did to one object: the server deleted it, it was gone already, it was left in place
 * because it is not the object that was read (`conflict`: its UID no longer matches {@link DeleteRef.uid}, so it was
 * deleted and re-created since, and is not ours to delete on a stale read), or the server refused (`failed`).
 */
export type DeleteAction = "deleted" | "not-found" | "conflict" | "failed";

/**
 * DeleteRef names one object to delete. With `uid`, the delete carries a UID precondition
 * (`DeleteOptions.preconditions.uid`): the server deletes the object only while it is the very one that was read.
 */
export interface DeleteRef extends ObjectRef {
  uid?: string;
}

/**
 * ObjectApplyResult is the outcome for one object; `message` carries the server's words on failure or why it was
 * skipped; `takenOver` lists fields taken from other managers.
 */
export interface ObjectApplyResult extends ObjectRef {
  action: ApplyAction;
  message?: string;
  takenOver?: FieldTakeover[];
}

/** ObjectDeleteResult is the outcome of deleting one object; `message` says why for `conflict` and `failed`. */
export interface ObjectDeleteResult extends ObjectRef {
  action: DeleteAction;
  message?: string;
}

/** ApplyResult is one apply call as data: which applyer ran and what happened to each object, in input order. */
export interface ApplyResult {
  applyer: string;
  objects: ObjectApplyResult[];
}

/** DeleteResult is one delete call as data, in input order; results carry the plain ref, without the UID. */
export interface DeleteResult {
  applyer: string;
  objects: ObjectDeleteResult[];
}

/** ApplyOptions tune one apply call. */
export interface ApplyOptions {
  signal?: AbortSignal;
}

/**
 * Applyer sends rendered objects to a cluster. `apply` and `delete` never throw for an object the server rejects:
 * that object's result is `failed` with the server's message. They throw {@link ApplyerUnavailableError} when the
 * applyer itself cannot run (binary missing, cannot be downloaded or started), which is what lets the chain hand
 * over to the next applyer.
 */
export interface Applyer {
  readonly name: string;
  /** ensureInstalled prepares the applyer (download, version check); idempotent and cheap when ready. */
  ensureInstalled(): Promise<void>;
  apply(objects: readonly KubeObject[], opts?: ApplyOptions): Promise<ApplyResult>;
  /** delete deletes refs concurrently, with a UID precondition for each ref that has a `uid`; order is the caller's. */
  delete(refs: readonly DeleteRef[], opts?: ApplyOptions): Promise<DeleteResult>;
}

/** ApplyerUnavailableError says an applyer cannot be installed or started; nothing was sent to the cluster. */
export class ApplyerUnavailableError extends GitOpsError {
  readonly code = "E_APPLYER_UNAVAILABLE";
  readonly applyer: string;

  constructor(applyer: string, message: string, options?: { cause?: unknown }) {
    super(`applyer ${applyer} is unavailable: ${message}`, options);
    this.applyer = applyer;
  }
}

/** landed is true for an object the server accepted: created, configured or unchanged. */
export function landed(result: Pick<ObjectApplyResult, "action">): boolean {
  return result.action !== "failed" && result.action !== "skipped";
}
