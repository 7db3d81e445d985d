// DNS rebinding protection: a page on another site can make a browser send requests here under its
// own host name. Such a request carries that name in its Host header, so only the names this server
// is known by are answered: loopback names, the bind address, SF_ALLOWED_HOSTS. An address (IPv4 or
// IPv6) is always accepted, since rebinding needs a name; the dev servers of Vite and webpack do the same.
import net from 'node:net'

export interface HostRules {
  /** The address or name the server binds (SF_WEB_HOST). */
  bindHost: string
  /** Further names (SF_ALLOWED_HOSTS); `.example.com` also allows every name under it. */
  allowedHosts: readonly string[]
}

/** The name in a Host header, without port, brackets or trailing dot, lower-cased. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase()
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']')) : h.split(':').length === 2 ? h.split(':')[0]! : h
  return name.endsWith('.') ? name.slice(0, -1) : name
}

/** Why a request with this Host header is refused, or null when it is answered. */
export function hostProblem(header: string | null, rules: HostRules): string | null {
  if (!header) return 'the request has no Host header: send the address you reach this server on as Host'
  const name = hostName(header)
  if (net.isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost')) return null
  if (name === rules.bindHost.toLowerCase()) return null
  for (const allowed of rules.allowedHosts) {
    const a = allowed.toLowerCase()
    if (name === a || (a.startsWith('.') && (name === a.slice(1) || name.endsWith(a)))) return null
  }
  return `Host ${JSON.stringify(header)} is not a name this server answers to (DNS rebinding protection): reach it by its address or localhost, or add ${JSON.stringify(name)} to SF_ALLOWED_HOSTS (comma-separated) and restart`
}
