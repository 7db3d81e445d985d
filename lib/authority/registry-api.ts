// The registry's own API (the OCI distribution spec), for questions that need no image on an engine:
// which digest a tag names (one HEAD on the manifest), what an image's labels say (its config blob),
// and moving a tag (the manifest's bytes put under another name, no layer moved). A registry that
// asks for a token (`WWW-Authenticate: Bearer realm=…`) gets one from its realm, with the same basic
// credentials publish-image uses; one that asks for `Basic` gets those directly.
import { createHash } from 'node:crypto'
import net from 'node:net'
import { request } from 'undici'
import { RegistryError } from './errors.ts'
import type { RegistryAccess } from './credentials.ts'
import { registryHost } from './image-ref.ts'

/** The manifest kinds a single-platform image or an index may be stored as. */
const manifestTypes = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]

const indexTypes = new Set(manifestTypes.slice(2))

/** Docker's rule: a registry on loopback is spoken to over plain http, any other over https. */
export function registryBaseUrl(host: string): string {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
  const loopback = name === 'localhost' || (net.isIPv4(name) && name.startsWith('127.')) || name === '::1'
  return `${loopback ? 'http' : 'https'}://${host}`
}

/** `127.0.0.1:5000/sf/sf-server` → its host and the repository's name on it (`sf/sf-server`). */
export function splitRepository(repository: string): { host: string; name: string } {
  const host = registryHost(repository)
  return { host, name: repository.slice(host.length + 1) }
}

/** The parameters of a `WWW-Authenticate` header: its scheme and `key="value"` pairs. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const scheme = header.split(/\s+/)[0]!.toLowerCase()
  const params: Record<string, string> = {}
  for (const match of header.slice(scheme.length).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[match[1]!] = match[2]!
  return { scheme, params }
}

export interface Manifest {
  digest: string
  mediaType: string
  bytes: Buffer
}

interface Call {
  method: 'GET' | 'HEAD' | 'PUT'
  path: string
  headers?: Record<string, string>
  body?: Buffer
  /** pull, or pull,push for a write. */
  actions: string
}

export interface RegistryClientOptions {
  timeoutMs?: number
}

/**
 * One repository on one registry. Tokens are asked for once per scope and reused until the registry
 * refuses one. Every failure is a RegistryError naming the registry, the call and what it answered.
 */
export class RegistryClient {
  readonly host: string
  readonly name: string
  readonly baseUrl: string
  private readonly tokens = new Map<string, string>()
  private readonly timeoutMs: number
  /** Requests sent, tokens included: what an idle check costs. */
  requests = 0

  constructor(
    readonly repository: string,
    private readonly access: RegistryAccess,
    options: RegistryClientOptions = {},
  ) {
    const { host, name } = splitRepository(repository)
    this.host = host
    this.name = name
    this.baseUrl = registryBaseUrl(host)
    this.timeoutMs = options.timeoutMs ?? 15_000
  }

  /** The digest `tag` names, or null when the registry answers that there is no such tag. */
  async resolve(tag: string): Promise<string | null> {
    const res = await this.send({ method: 'HEAD', path: `manifests/${tag}`, headers: { accept: manifestTypes.join(', ') }, actions: 'pull' })
    if (res.status === 404) return null
    if (res.status !== 200) throw this.failed(`HEAD ${tag}`, res.status, '')
    const digest = res.headers['docker-content-digest']
    if (typeof digest !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw new RegistryError(`${this.where(`HEAD ${tag}`)} answered without a Docker-Content-Digest header: use a registry that speaks the OCI distribution API`)
    }
    return digest
  }

  /** The manifest stored under `reference` (a tag or a digest), as its bytes; null when there is none. */
  async manifest(reference: string): Promise<Manifest | null> {
    const res = await this.send({ method: 'GET', path: `manifests/${reference}`, headers: { accept: manifestTypes.join(', ') }, actions: 'pull' })
    if (res.status === 404) return null
    if (res.status !== 200) throw this.failed(`GET manifest ${reference}`, res.status, res.body.toString('utf8'))
    const mediaType = String(res.headers['content-type'] ?? '').split(';')[0]!.trim()
    // The digest is that of the bytes, whether the registry says it or not (a tag is no digest).
    const digest = String(res.headers['docker-content-digest'] ?? `sha256:${createHash('sha256').update(res.body).digest('hex')}`)
    return { digest, mediaType, bytes: res.body }
  }

  /** Put `digest`'s manifest under `tag` as well: the tag moves, no layer does. */
  async tag(tag: string, digest: string): Promise<void> {
    const manifest = await this.manifest(digest)
    if (!manifest) throw new RegistryError(`${this.where(`GET manifest ${digest}`)}: the registry holds no such digest in ${this.repository}: publish it first (npm run publish-image)`)
    const res = await this.send({ method: 'PUT', path: `manifests/${tag}`, headers: { 'content-type': manifest.mediaType }, body: manifest.bytes, actions: 'pull,push' })
    if (res.status !== 201 && res.status !== 200) throw this.failed(`PUT ${tag}`, res.status, res.body.toString('utf8'))
  }

  /** The labels of the image `digest` names (of this machine's platform, for an index). */
  async labels(digest: string): Promise<Record<string, string>> {
    let manifest = await this.manifest(digest)
    if (!manifest) throw new RegistryError(`${this.where(`GET manifest ${digest}`)}: the registry holds no such digest in ${this.repository}: publish it first (npm run publish-image)`)
    if (indexTypes.has(manifest.mediaType)) {
      const index = this.json(manifest.bytes, `the manifest ${digest}`) as { manifests: { digest: string; platform?: { os?: string; architecture?: string } }[] }
      const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch
      const entry = index.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === arch) ?? index.manifests[0]
      manifest = entry ? await this.manifest(entry.digest) : null
      if (!manifest) throw new RegistryError(`${this.where(`GET manifest ${digest}`)}: the index names no image for linux/${arch}`)
    }
    const config = (this.json(manifest.bytes, `the manifest ${digest}`) as { config?: { digest?: string } }).config?.digest
    if (!config) throw new RegistryError(`${this.where(`GET manifest ${digest}`)}: the manifest names no config blob: it is not an image`)
    const blob: Call = { method: 'GET', path: `blobs/${config}`, actions: 'pull' }
    let res = await this.send(blob)
    // A registry that keeps blobs in object storage (Forgejo with SERVE_DIRECT, distribution on S3)
    // sends the read on to a signed URL, which refuses credentials beside its own signature.
    const location = res.headers.location
    if (res.status >= 300 && res.status < 400 && typeof location === 'string') {
      res = await this.attempt(blob, undefined, new URL(location, this.urlOf(blob)).href)
    }
    if (res.status !== 200) throw this.failed(`GET blob ${config}`, res.status, res.body.toString('utf8'))
    const image = this.json(res.body, `the config blob ${config}`) as { config?: { Labels?: Record<string, string> | null } }
    return image.config?.Labels ?? {}
  }

  /** JSON the registry sent; a RegistryError when it is not. */
  private json(bytes: Buffer, what: string): unknown {
    try {
      return JSON.parse(bytes.toString('utf8'))
    } catch {
      throw new RegistryError(`${what} from the registry ${this.host} is not JSON: use a registry that speaks the OCI distribution API`)
    }
  }

  private where(call: string): string {
    return `the registry ${this.host} (${call} in ${this.name})`
  }

  private failed(call: string, status: number, body: string): RegistryError {
    const hint =
      status === 401 || status === 403
        ? 'check SF_REGISTRY_USER and SF_REGISTRY_PASSWORD (they must be allowed to read, and to push for a tag move)'
        : 'check that the registry runs and answers'
    return new RegistryError(`${this.where(call)} answered ${status}${body ? ` ${body.trim().slice(0, 200)}` : ''}: ${hint}`)
  }

  private async send(call: Call): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const first = await this.attempt(call, this.tokens.get(call.actions))
    if (first.status !== 401) return first
    // Several challenges may come as several headers: the one this client can answer, Bearer first.
    const header = first.headers['www-authenticate']
    const challenges = (Array.isArray(header) ? header : [header ?? '']).map(String)
    const challenge = challenges.find((c) => /^bearer\s/i.test(c)) ?? challenges.find((c) => /^basic\s/i.test(c)) ?? challenges[0]!
    const authorization = await this.authorize(call, challenge)
    return this.attempt(call, authorization)
  }

  /** The Authorization header a 401's challenge asks for. */
  private async authorize(call: Call, header: string): Promise<string> {
    const { scheme, params } = parseChallenge(header)
    const basic = this.access.user && this.access.password ? `Basic ${Buffer.from(`${this.access.user}:${this.access.password}`).toString('base64')}` : undefined
    if (scheme === 'basic') {
      if (!basic) throw new RegistryError(`${this.where(`${call.method} ${call.path}`)} asks for credentials: set SF_REGISTRY_USER and SF_REGISTRY_PASSWORD`)
      this.tokens.set(call.actions, basic)
      return basic
    }
    if (scheme !== 'bearer' || !params.realm) {
      throw new RegistryError(`${this.where(`${call.method} ${call.path}`)} answered 401 with ${header ? `the challenge ${JSON.stringify(header)}` : 'no challenge'}: use a registry with Bearer or Basic authentication`)
    }
    const url = new URL(params.realm)
    if (params.service) url.searchParams.set('service', params.service)
    url.searchParams.set('scope', `repository:${this.name}:${call.actions}`)
    this.requests++
    const res = await request(url, { headers: basic ? { authorization: basic } : {}, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs }).catch((error: Error) => {
      throw new RegistryError(`could not reach the token service ${url.origin} of ${this.host}: ${error.message}`)
    })
    const text = await res.body.text()
    if (res.statusCode !== 200) throw this.failed(`token for ${call.actions}`, res.statusCode, text)
    const { token, access_token } = this.json(Buffer.from(text), `the token service ${url.origin}'s answer`) as { token?: string; access_token?: string }
    if (!token && !access_token) throw new RegistryError(`the token service ${url.origin} of ${this.host} answered without a token`)
    const authorization = `Bearer ${token ?? access_token}`
    this.tokens.set(call.actions, authorization)
    return authorization
  }

  private urlOf(call: Call): string {
    return `${this.baseUrl}/v2/${this.name}/${call.path}`
  }

  private async attempt(call: Call, authorization: string | undefined, url = this.urlOf(call)) {
    this.requests++
    const headers = { ...call.headers, ...(authorization ? { authorization } : {}) }
    try {
      const res = await request(url, { method: call.method, headers, body: call.body, headersTimeout: this.timeoutMs, bodyTimeout: this.timeoutMs })
      const body = call.method === 'HEAD' ? Buffer.alloc(0) : Buffer.from(await res.body.arrayBuffer())
      if (call.method === 'HEAD') await res.body.dump()
      return { status: res.statusCode, headers: res.headers, body }
    } catch (error) {
      throw new RegistryError(`could not reach the registry ${this.host} (${call.method} ${url}): ${networkFailure(error)}; make it answer (is it running, and reachable from here?)`)
    }
  }
}

/** A connection error in words: `connection refused` rather than ECONNREFUSED. */
export function networkFailure(error: unknown): string {
  const e = error as Error & { code?: string }
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'the name did not resolve',
    ETIMEDOUT: 'timed out',
    ECONNRESET: 'connection reset',
    UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
    UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
    UND_ERR_SOCKET: 'the connection closed',
  }
  const code = e.code ?? (e.cause as { code?: string } | undefined)?.code
  return (code && words[code]) ?? e.message ?? String(error)
}
