// A browser sends Origin with every POST. An admin request from a browser is accepted only from a
// page of this very server: a page elsewhere must not make a logged-in tab act, whatever it holds.
// Requests without Origin (curl, scripts) are not from a browser page, and go on to the token check.

/** Why the request's Origin is refused, or null when there is none or it is this server's own. */
export function foreignOrigin(origin: string | null, host: string | null): string | null {
  if (origin === null) return null
  let parsed: URL | null = null
  try {
    parsed = new URL(origin)
  } catch {
    // "null" (a sandboxed page, a file) and anything else that is not a URL
  }
  if (parsed && (parsed.protocol === 'http:' || parsed.protocol === 'https:') && host !== null && parsed.host === host.toLowerCase()) return null
  return `a browser request from origin ${origin} is refused: this endpoint takes browser requests only from a page of this server (${host ? `http://${host}` : 'its own origin'}); from a script, send no Origin header`
}
