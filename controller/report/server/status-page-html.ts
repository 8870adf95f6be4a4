/**
 * STATUS_PAGE_STYLE, STATUS_PAGE_SCRIPT and statusPageHtml make the one-file status page: no build step, no
 * dependencies. The script renders only through `textContent`, so nothing from the state is ever parsed as HTML.
 */
export const STATUS_PAGE_STYLE = `
:root { color-scheme: light dark; --ok: #1a7f37; --bad: #cf222e; --wait: #9a6700; --muted: #6e7781; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, sans-serif; margin: 0 auto; padding: 12px; max-width: 960px; }
h1 { font-size: 1.3rem; margin: 0 0 4px; } h2 { font-size: 1.1rem; margin: 20px 0 8px; }
.muted { color: var(--muted); font-size: .85rem; }
.card { border: 1px solid #8884; border-radius: 8px; padding: 10px 12px; margin: 8px 0; overflow-wrap: anywhere; }
.row { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; }
.name { font-weight: 600; font-size: 1.05rem; }
.badge { border-radius: 10px; padding: 0 8px; color: #fff; font-size: .8rem; }
.deployed, .succeeded { background: var(--ok); } .failed { background: var(--bad); } .pending { background: var(--wait); }
.badge.suspended { background: #6639ba; } .held { color: #6639ba; margin-top: 4px; }
.rolled_back { background: var(--bad); } .rolled { color: var(--bad); margin-top: 4px; }
.waiting { color: var(--wait); margin-top: 4px; }
.error { color: var(--bad); white-space: pre-wrap; margin-top: 4px; }
.drift { color: #b36b00; white-space: pre-wrap; margin-top: 4px; }
code { font-size: .85rem; }
#auth { display: none; } #auth.show { display: block; }
input { font: inherit; padding: 4px; max-width: 100%; }
`;

/** STATUS_PAGE_SCRIPT fetches the JSON API and redraws; it keeps an entered read token in sessionStorage only. */
export const STATUS_PAGE_SCRIPT = `
"use strict";
const REFRESH_MS = Number(document.body.dataset.refreshMs) || 5000;
const $ = (id) => document.getElementById(id);
function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = String(text);
  return node;
}
function field(label, value) {
  const span = el("span", "muted", label + ": ");
  span.appendChild(el("code", "", value === "" || value === undefined || value === null ? "–" : value));
  return span;
}
function short(sha) { return sha ? sha.slice(0, 12) : ""; }
async function getJson(path) {
  const token = sessionStorage.getItem("simple-gitops-token");
  const headers = token ? { Authorization: "Bearer " + token } : {};
  const res = await fetch(path, { headers, cache: "no-store" });
  if (res.status === 401) { $("auth").classList.add("show"); throw new Error("a read token is required"); }
  if (!res.ok) throw new Error(path + ": HTTP " + res.status);
  return res.json();
}
function renderRepos(data) {
  const box = $("repos"); box.replaceChildren();
  for (const r of data.repos) {
    const card = el("div", "card");
    const row = el("div", "row");
    row.appendChild(el("span", "name", r.repo));
    row.appendChild(field("branch", r.branch));
    row.appendChild(field("last deploy", r.last_deploy_time));
    row.appendChild(field("commit", short(r.last_commit_id)));
    card.appendChild(row);
    card.appendChild(el("div", "muted", "services: " + r.services.join(", ")));
    box.appendChild(card);
  }
}
function renderServices(data) {
  const box = $("services"); box.replaceChildren();
  for (const s of data.services) {
    const card = el("div", "card service");
    card.dataset.service = s.name;
    // Commit statuses link here (<public_url>/ui#service-<name>).
    card.id = "service-" + s.name;
    const row = el("div", "row");
    row.appendChild(el("span", "name", s.name));
    row.appendChild(el("span", "badge " + s.state, s.state));
    if (s.suspended) row.appendChild(el("span", "badge suspended", "suspended"));
    row.appendChild(field("repo", s.repo + "@" + s.branch + ":" + s.dir));
    row.appendChild(field("commit", short(s.last_commit_id)));
    row.appendChild(field("last deploy", s.last_deploy_time));
    row.appendChild(field("objects", s.objects.length));
    // With sharding, the pod that owns the service: where its suspend, resume and rollback are answered.
    if (s.shard) row.appendChild(field("pod", s.shard));
    card.appendChild(row);
    if (s.suspended) {
      const held = "suspended by " + s.suspended.by + " at " + s.suspended.at + (s.suspended.commit ? " at commit " + short(s.suspended.commit) : "");
      card.appendChild(el("div", "held", held + (s.suspended.reason ? ": " + s.suspended.reason : "")));
    }
    if (s.rolled_back && s.rolled_back.failed_commit) {
      const r = s.rolled_back;
      card.appendChild(el("div", "rolled", "commit " + short(r.failed_commit) + " failed; rolled back to " + short(r.restored_commit) + " at " + r.at + ": " + r.reason));
    }
    for (const w of s.waiting_on || []) card.appendChild(el("div", "waiting", "waits on " + w.service + ": " + w.reason));
    if (s.drift && s.drift.objects.length > 0) {
      const names = s.drift.objects.map((o) => o.kind + " " + (o.namespace ? o.namespace + "/" : "") + o.name);
      card.appendChild(el("div", "drift", "drift " + s.drift.action + " at " + s.drift.checked_at + ": " + names.join(", ")));
    }
    if (s.last_error) {
      card.appendChild(el("div", "error", s.last_error.code + ": " + s.last_error.message));
      card.appendChild(el("div", "muted", "failed at " + s.last_error.at + (s.failures ? ", " + s.failures + " failure(s) in a row" : "")));
    }
    box.appendChild(card);
  }
  if (data.next) {
    box.appendChild(el("div", "muted more", "showing the first " + data.count + " of " + data.total + " services; the rest: " + data.next));
  }
}
function renderEvents(data) {
  const box = $("events"); box.replaceChildren();
  if (data.events.length === 0) box.appendChild(el("div", "muted", "no events yet"));
  for (const e of data.events) {
    const card = el("div", "card");
    const row = el("div", "row");
    row.appendChild(el("span", "badge " + e.result, e.result));
    row.appendChild(el("span", "", e.kind + " " + e.service));
    row.appendChild(field("commit", short(e.commit)));
    row.appendChild(field("trigger", e.trigger));
    row.appendChild(field("at", e.time));
    card.appendChild(row);
    if (e.error) card.appendChild(el("div", "error", e.error));
    box.appendChild(card);
  }
}
function renderPreviews(data) {
  const box = $("previews"); box.replaceChildren();
  if (data.previews.length === 0) box.appendChild(el("div", "muted", "no open pull request is previewed"));
  for (const p of data.previews) {
    const card = el("div", "card preview");
    // Preview commit statuses link here (<public_url>/ui#preview-<repo>-<number>).
    card.id = "preview-" + p.repo + "-" + p.number;
    const row = el("div", "row");
    row.appendChild(el("span", "name", p.repo + "#" + p.number));
    row.appendChild(el("span", "badge " + (p.state === "success" ? "succeeded" : "failed"), p.state === "success" ? "would land" : "would fail"));
    row.appendChild(el("span", "", p.title));
    row.appendChild(field("head", short(p.head_sha)));
    row.appendChild(field("at", p.previewed_at));
    card.appendChild(row);
    card.appendChild(el("div", p.state === "success" ? "muted" : "error", p.description));
    for (const s of p.services) {
      card.appendChild(el("div", "muted", s.service + ": " + s.created + " created, " + s.changed + " changed, " + s.pruned + " pruned, " + s.unchanged + " unchanged" + (s.errors ? ", " + s.errors + " error(s)" : "")));
    }
    box.appendChild(card);
  }
}
async function refresh() {
  try {
    const [repos, services, events, previews] = await Promise.all([
      getJson("v1/gitops/repos"), getJson("v1/gitops/services"), getJson("v1/gitops/events?limit=20"),
      getJson("v1/gitops/previews"),
    ]);
    renderRepos(repos); renderServices(services); renderEvents(events); renderPreviews(previews);
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    $("problem").textContent = "";
  } catch (error) {
    $("problem").textContent = "cannot refresh: " + error.message;
  }
}
$("auth").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem("simple-gitops-token", $("token").value);
  $("auth").classList.remove("show");
  refresh();
});
refresh();
setInterval(refresh, REFRESH_MS);
`;

/** statusPageHtml is the whole page; API paths are relative so it also works behind a path-prefixing proxy. */
export function statusPageHtml(refreshMs: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>simple-gitops status</title>
<link rel="icon" href="data:,">
<style>${STATUS_PAGE_STYLE}</style>
</head>
<body data-refresh-ms="${Math.max(1000, Math.floor(refreshMs))}">
<h1>simple-gitops</h1>
<div class="muted"><span id="updated">loading…</span> <span id="problem" class="error"></span></div>
<form id="auth"><label>Read token <input id="token" type="password" autocomplete="off"></label> <button>Use</button></form>
<h2>Repositories</h2><div id="repos"></div>
<h2>Services</h2><div id="services"></div>
<h2>Pull request previews</h2><div id="previews"></div>
<h2>Recent events</h2><div id="events"></div>
<script>${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;
}
