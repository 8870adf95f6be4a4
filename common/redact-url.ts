/** REDACTED stands in for a query value that was removed from a URL. */
export const REDACTED = "REDACTED";

// scheme://authority path ?query #fragment, without normalising anything, so a clean URL comes back unchanged.
const ABSOLUTE = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/is;
const RELATIVE = /^([^?#]*)(\?[^#]*)?(#.*)?$/s;

function redactQuery(query: string | undefined): string {
  if (query === undefined || query === "?") return query ?? "";
  const parts = query
    .slice(1)
    .split("&")
    .map((part) => {
      const eq = part.indexOf("=");
      if (eq >= 0) return `${part.slice(0, eq)}=${REDACTED}`;
      return part === "" ? part : REDACTED;
    });
  return `?${parts.join("&")}`;
}

/**
 * redactUrl keeps what says where a URL points (scheme, host, port, path) and removes what may be a credential:
 * the userinfo (`user:pass@`) entirely, every query value (names are kept) and the fragment. A URL that has none
 * of them comes back byte for byte, so messages about ordinary URLs do not change.
 */
export function redactUrl(url: string): string {
  const absolute = ABSOLUTE.exec(url);
  if (absolute) {
    const [, scheme = "", authority = "", path = "", query] = absolute;
    const host = authority.slice(authority.lastIndexOf("@") + 1);
    return `${scheme}${host}${path}${redactQuery(query)}`;
  }
  const relative = RELATIVE.exec(url);
  if (!relative) return url;
  const [, path = "", query] = relative;
  return `${path}${redactQuery(query)}`;
}

// A URL inside free text ends at whitespace, a quote or an angle bracket.
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** redactUrlsIn applies {@link redactUrl} to every absolute URL inside a text (an error message, a log line). */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (match) => redactUrl(match));
}
