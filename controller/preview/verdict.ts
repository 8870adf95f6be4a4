import { shorten } from "../report/commit-status/status.js";
import type { Preview, ServicePreview } from "./types.js";

/** Verdict is a preview's commit status state and its one-line description. */
export type Verdict = Pick<Preview, "state" | "description">;

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/**
 * verdict is `success` when every touched service would land, saying what merging would do (`2 services would land:
 * 1 created, 3 changed, 1 pruned`), else `failure` with the first error a sync would meet and the file it names.
 * Credentials are scrubbed from it, as from every commit status.
 */
export function verdict(services: readonly ServicePreview[], secrets: readonly string[]): Verdict {
  const failing = services.find((service) => !service.lands);
  const error = failing?.errors[0];
  if (failing !== undefined) {
    const where = [error?.path, error?.object].filter((part) => part !== undefined).join(" ");
    const others = services.filter((service) => !service.lands).length - 1;
    const more = others > 0 ? ` (and ${plural(others, "more service")})` : "";
    const text = `${failing.service} would fail${more}: ${where ? `${where}: ` : ""}${error?.message ?? "see the preview"}`;
    return { state: "failure", description: shorten(text, secrets) };
  }
  if (services.length === 0) return { state: "success", description: "Touches no service of this cluster" };
  const count = (pick: (service: ServicePreview) => number) =>
    services.reduce((sum, service) => sum + pick(service), 0);
  const parts = [
    [count((s) => s.created.length), "created"],
    [count((s) => s.changed.length), "changed"],
    [count((s) => s.pruned.length), "pruned"],
  ] as const;
  const done = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`);
  const text = `${plural(services.length, "service")} would land: ${done.length > 0 ? done.join(", ") : "nothing changes"}`;
  return { state: "success", description: shorten(text, secrets) };
}
