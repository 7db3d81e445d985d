// Runs before the page, /api/projects and the admin endpoints, the answers that carry absolute paths
// or act: a request under a host name this server is not known by is refused (DNS rebinding), with
// 403 and the fix. The probes (/api/healthz, /api/ready, /api/version, and /api/controller, which the
// deployer's --wait reads beside /api/version) are not matched: deployments probe them under names this
// server need not know (SF_VEGA_PROBE_HOST, HAProxy's checks send none, a host's probe URL).
// Before that, what Next would answer 500 or 400 with a stack in the log: a path that is not valid
// percent-encoding, and a server action call (this app has none).
import { NextResponse, type NextRequest } from 'next/server'
import { hostProblem } from '../lib/server/allowed-hosts.ts'
import { serverContext } from './server/context.ts'

export function proxy(request: NextRequest) {
  if (request.headers.has('next-action')) return refuse('this server has no server actions: send the request without a Next-Action header', 400)
  try {
    decodeURIComponent(request.nextUrl.pathname)
  } catch {
    return refuse('the path is not valid percent-encoding', 400)
  }
  const { config } = serverContext()
  const problem = hostProblem(request.headers.get('host'), { bindHost: config.SF_WEB_HOST, allowedHosts: config.SF_ALLOWED_HOSTS ?? [] })
  return problem ? refuse(problem, 403) : NextResponse.next()
}

function refuse(error: string, status: number) {
  return NextResponse.json({ error }, { status, headers: { 'Cache-Control': 'no-store' } })
}

export const config = {
  matcher: [
    '/',
    '/api/projects',
    '/api/server-upgrade/:path*',
    '/api/drain',
    '/api/hold',
    '/api/metrics',
    { source: '/:path*', has: [{ type: 'header', key: 'next-action' }] },
  ],
}
