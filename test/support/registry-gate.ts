// Authentication in front of the test registry, which runs without any: a node:http server on
// 127.0.0.1 and a free port that answers as Forgejo's registry does (a Bearer challenge naming its
// token service, a token for basic credentials, scoped to a repository and its actions) or as a
// registry with plain Basic auth does, and passes what it lets through on to the real registry. It
// can also send blob reads to a signed URL, as registries whose blobs live in object storage do.
import crypto from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface GateOptions {
  user: string
  password: string
  /** bearer (the default): a token from /token; basic: the credentials on every request. */
  scheme?: 'bearer' | 'basic'
  /**
   * Answer a blob GET with a 307 to a signed URL, as Forgejo with SERVE_DIRECT storage does. The
   * URL, like S3's, refuses a request that carries an Authorization header as well.
   */
  signedBlobs?: boolean
}

export interface RegistryGate {
  /** host:port, to name repositories by. */
  address: string
  /** The scopes /token was asked for, in order, whether it gave a token or not. */
  scopes: string[]
  close(): Promise<void>
}

const service = 'test-registry'

export async function startRegistryGate(registryUrl: string, options: GateOptions): Promise<RegistryGate> {
  const basic = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`
  /** token → the actions it allows, per repository name. */
  const tokens = new Map<string, { name: string; actions: string[] }>()
  const scopes: string[] = []
  const signatures = new Set<string>()
  let address = ''

  const refuse = (res: http.ServerResponse, challenge: string) => {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': challenge })
    res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }))
  }

  const token = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const scope = url.searchParams.get('scope') ?? ''
    scopes.push(scope)
    if (req.headers.authorization !== basic) return refuse(res, `Basic realm="${service}"`)
    const [, name, actions] = /^repository:(.+):([a-z,]+)$/.exec(scope) ?? []
    const issued = crypto.randomBytes(16).toString('hex')
    if (name && actions) tokens.set(issued, { name, actions: actions.split(',') })
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ token: issued }))
  }

  /** Whether the request's Authorization allows what it asks of the repository `name`. */
  const allowed = (req: http.IncomingMessage, name: string, action: string): boolean => {
    if (options.scheme === 'basic') return req.headers.authorization === basic
    const granted = tokens.get(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '')
    return granted !== undefined && granted.name === name && granted.actions.includes(action)
  }

  /** Pass the request on to the registry, as `path` there, and its answer back. */
  const pass = (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    const { host: _host, authorization: _authorization, connection: _connection, ...headers } = req.headers
    const upstream = http.request(new URL(path, registryUrl), { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', (error) => {
      if (res.headersSent) return res.destroy(error)
      res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`the registry behind the gate did not answer: ${error.message}`)
    })
    req.pipe(upstream)
  }

  const signed = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    if (!signatures.has(url.searchParams.get('signature') ?? '')) return (res.writeHead(403), res.end('no such signature'))
    if (req.headers.authorization) return (res.writeHead(400), res.end('only one auth mechanism allowed: the signature or the Authorization header'))
    pass(req, res, url.pathname.slice('/signed'.length))
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${address}`)
    if (url.pathname === '/token' && options.scheme !== 'basic') return token(req, res, url)
    if (url.pathname.startsWith('/signed/')) return signed(req, res, url)
    const name = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1] ?? ''
    const action = req.method === 'GET' || req.method === 'HEAD' ? 'pull' : 'push'
    if (!allowed(req, name, action)) {
      const scope = `repository:${name}:${action === 'pull' ? 'pull' : 'pull,push'}`
      return refuse(res, options.scheme === 'basic' ? `Basic realm="${service}"` : `Bearer realm="http://${address}/token",service="${service}",scope="${scope}"`)
    }
    if (options.signedBlobs && req.method === 'GET' && /\/blobs\/sha256:/.test(url.pathname)) {
      const signature = crypto.randomBytes(16).toString('hex')
      signatures.add(signature)
      res.writeHead(307, { location: `http://${address}/signed${url.pathname}?signature=${signature}` })
      return res.end()
    }
    pass(req, res, url.pathname + url.search)
  })

  await new Promise<void>((resolve, reject) => server.once('error', reject).listen({ host: '127.0.0.1', port: 0 }, resolve))
  address = `127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    address,
    scopes,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    },
  }
}
