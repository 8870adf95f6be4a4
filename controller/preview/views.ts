import type { PreviewListing } from "../report/server/previews.js";
import type { Preview } from "./types.js";

/** previewListing is a preview as `GET /v1/gitops/previews` and the status page list it. */
export function previewListing(preview: Preview): PreviewListing {
  const { pull } = preview;
  return {
    repo: pull.repoKey,
    number: pull.number,
    title: pull.title,
    url: pull.url,
    author: pull.author,
    head_sha: preview.commit,
    state: preview.state,
    description: preview.description,
    services: preview.services.map((service) => ({
      service: service.service,
      lands: service.lands,
      created: service.created.length,
      changed: service.changed.length,
      pruned: service.pruned.length,
      unchanged: service.unchanged,
      errors: service.errors.length,
    })),
    previewed_at: preview.at,
  };
}

/** previewView is the whole preview, `GET /v1/gitops/previews/{repo}/{number}`: every diff and every error. */
export function previewView(preview: Preview) {
  const { pull } = preview;
  return {
    ...previewListing(preview),
    head_ref: pull.headRef,
    base_ref: pull.baseRef,
    fork: pull.fork,
    services: preview.services.map((service) => ({
      service: service.service,
      dir: service.dir,
      lands: service.lands,
      created: service.created,
      changed: service.changed,
      pruned: service.pruned,
      left: service.left,
      unchanged: service.unchanged,
      errors: service.errors,
    })),
  };
}
