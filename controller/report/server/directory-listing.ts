import { readdir } from "node:fs/promises";
import { escapeHtml } from "./html.js";

/** renderListing is a plain HTML index of one directory of the release tree (dotfiles left out). */
export async function renderListing(dir: string, href: string): Promise<string> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith("."))
    .sort((a, b) => a.name.localeCompare(b.name));
  const items = entries.map((e) => {
    const name = e.isDirectory() ? `${e.name}/` : e.name;
    return `<li><a href="${escapeHtml(href + encodeURIComponent(e.name))}${e.isDirectory() ? "/" : ""}">${escapeHtml(name)}</a></li>`;
  });
  return `<!doctype html><meta charset="utf-8"><title>${escapeHtml(href)}</title><h1>${escapeHtml(href)}</h1><ul>${items.join("")}</ul>\n`;
}
