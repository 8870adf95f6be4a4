import { randomBytes } from "node:crypto";
import type { RepoUrls } from "./responses.js";

/** Download is what a signed codeload URL stands for: one commit of one repository. */
export interface Download {
  readonly repo: string;
  readonly sha: string;
  readonly prefix: string;
}

const CODELOAD = /^\/_codeload\/[^/]+\/[^/]+\/legacy\.tar\.gz\/([0-9a-f]{40})$/;

/**
 * createArchives signs download URLs as GitHub's tarball endpoint does: `GET /repos/{o}/{r}/tarball/{ref}` answers
 * 302 to a codeload URL carrying a short-lived token, which is then downloaded without the API token
 * (https://docs.github.com/en/rest/repos/contents#download-a-repository-archive-tar). GitHub Enterprise serves
 * codeload under `/_codeload/` of its web host; this server does the same on its own origin.
 */
export function createArchives() {
  const signed = new Map<string, Download>();
  return {
    /** sign returns the Location of a tarball: the commit's archive, its paths under `owner-repo-sha7/`. */
    sign(urls: RepoUrls, repo: string, sha: string): string {
      const token = randomBytes(12).toString("hex");
      signed.set(token, { repo, sha, prefix: `${urls.owner}-${urls.repo}-${sha.slice(0, 7)}` });
      return `${urls.web}/_codeload/${urls.owner}/${urls.repo}/legacy.tar.gz/${sha}?token=${token}`;
    },
    /** download says which archive a request asks for, or undefined when it is not a codeload request. */
    download(pathname: string, token: string | null): Download | undefined {
      const match = CODELOAD.exec(pathname);
      if (!match) return undefined;
      const found = token === null ? undefined : signed.get(token);
      // A wrong or missing token is a 404, as codeload answers; the empty repo key makes the caller say so.
      return found?.sha === match[1] ? found : { repo: "", sha: match[1] ?? "", prefix: "" };
    },
  };
}

/** archiveHeaders are codeload's headers for a tar.gz download. */
export function archiveHeaders(prefix: string): Record<string, string> {
  return {
    "content-type": "application/x-gzip",
    "content-disposition": `attachment; filename=${prefix}.tar.gz`,
  };
}
