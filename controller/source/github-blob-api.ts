import { mapLimit } from "../../common/map-limit.js";
import { decodeBlobText } from "./blob-text.js";
import type { SourceError } from "./errors.js";
import type { BlobReadInput } from "./github-blob-input.js";
import { toSourceError } from "./github-errors.js";
import { type BlobText, usersOf } from "./plan.js";

/**
 * readFromBlobApi reads `shas` one request each, `concurrency` at a time, handing each text to `keep`; a blob that
 * cannot be read is kept in `errors`, naming only the services that contain it.
 */
export async function readFromBlobApi(
  input: BlobReadInput,
  shas: readonly string[],
  concurrency: number,
  keep: (sha: string, text: BlobText) => void,
  errors: Map<string, SourceError>,
): Promise<void> {
  await mapLimit(shas, concurrency, async (sha) => {
    try {
      keep(sha, await readBlob(input, sha));
    } catch (error) {
      errors.set(
        sha,
        toSourceError(error, input.context(`blob ${sha}`, usersOf(input.plans, new Set([sha])))),
      );
    }
  });
}

async function readBlob(input: BlobReadInput, sha: string): Promise<BlobText> {
  const { data } = await input.client.rest.git.getBlob({
    owner: input.repository.owner,
    repo: input.repository.repo,
    file_sha: sha,
  });
  // GitHub answers `content: ""`/absent for a blob it will not inline; never decode `undefined` as text.
  if (typeof data.content !== "string" || (data.content === "" && (data.size ?? 0) > 0))
    throw new Error(`GitHub returned no content for blob ${sha} (${data.size} bytes)`);
  return decodeBlobText(Buffer.from(data.content, data.encoding === "base64" ? "base64" : "utf8"));
}
