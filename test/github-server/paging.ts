/** Page is one page of a list and the Link header GitHub sends with it (none when it fits one page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly headers: Record<string, string>;
}

/**
 * pageOf cuts a list as GitHub's list endpoints do: `per_page` from 1 to 100 (default 30), `page` from 1, and a
 * `Link` header with `next` and `last` (and `prev`, `first` past the first page) built on `url`, the request's own
 * path and query (https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api).
 */
export function pageOf<T>(all: readonly T[], url: URL): Page<T> {
  const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get("per_page")) || 30));
  const page = Math.max(1, Number(url.searchParams.get("page")) || 1);
  const last = Math.max(1, Math.ceil(all.length / perPage));
  const items = all.slice((page - 1) * perPage, page * perPage);
  if (last === 1) return { items, headers: {} };
  const at = (n: number) => {
    const link = new URL(url);
    link.searchParams.set("per_page", String(perPage));
    link.searchParams.set("page", String(n));
    return `<${link.href}>`;
  };
  const links = [
    ...(page < last ? [`${at(page + 1)}; rel="next"`, `${at(last)}; rel="last"`] : []),
    ...(page > 1 ? [`${at(1)}; rel="first"`, `${at(page - 1)}; rel="prev"`] : []),
  ];
  return { items, headers: links.length === 0 ? {} : { link: links.join(", ") } };
}
