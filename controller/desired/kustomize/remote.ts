/**
 * URL-like beginnings, case-insensitive, a superset of what kustomize fetches: an http(s) file (its loader's
 * `url.Parse` scheme is http or https, slashes or not) and a git clone (`git::`, a scheme, `user@host:` or
 * `github.com/` or `github.com:` first; api/internal/git/repospec.go).
 */
const URL_BEGINNINGS = [
  /^[a-z][a-z0-9+.-]*:\/\//i, // https://, http://, ssh://, file://
  /^[a-z][a-z0-9+.-]*::/i, // go-getter forcing: git::, s3::
  /^https?:/i, // http:host/x is still an http URL to Go's url.Parse
  /^[a-z][a-z0-9-]*@/i, // git@github.com:org/repo, any user@host:path
  /^(?:www\.)?(?:github|gitlab|bitbucket)\.(?:com|org)[/:]/i,
  /^gh:/i,
];

/** Remote markers anywhere in a path: kustomize's `repo//dir` form and its query parameters. */
const REMOTE_MARKERS = [/\/\//, /\?(?:ref|version|submodules|timeout)=/i];

/**
 * startsLikeUrl says whether a value begins the way a URL or a remote repository does. It is the test for a value
 * that may also be inline YAML (a patch, a plugin's configuration), whose body may well hold `//` or `?ref=`.
 */
export function startsLikeUrl(value: string): boolean {
  const trimmed = value.trimStart();
  return URL_BEGINNINGS.some((pattern) => pattern.test(trimmed));
}

/** isRemote says whether a path a kustomization names is a URL or a remote repository rather than a repository path. */
export function isRemote(value: string): boolean {
  return startsLikeUrl(value) || REMOTE_MARKERS.some((pattern) => pattern.test(value));
}
