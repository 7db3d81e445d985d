// Runs before the page and /api/projects, the answers that carry absolute paths: a request under a
// host name this server is not known by is refused (DNS rebinding), with 403 and the fix.
import { NextResponse, type NextRequest } from 'next/server'
import { hostProblem } from '../lib/server/allowed-hosts.ts'
import { serverContext } from './server/context.ts'

export function proxy(request: NextRequest) {
  const { config } = serverContext()
  const problem = hostProblem(request.headers.get('host'), { bindHost: config.SF_WEB_HOST, allowedHosts: config.SF_ALLOWED_HOSTS ?? [] })
  return problem ? NextResponse.json({ error: problem }, { status: 403, headers: { 'Cache-Control': 'no-store' } }) : NextResponse.next()
}

export const config = { matcher: ['/', '/api/projects'] }
