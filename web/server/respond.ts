import { checkAdmin } from '../../lib/server/admin-auth.ts'
import { serverContext } from './context.ts'

/** JSON that no cache keeps: probes must see the live state. */
export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { 'Cache-Control': 'no-store' } })
}

/** The response refusing an admin request, or null when the request may go on. */
export function refuseUnlessAdmin(request: Request): Response | null {
  const check = checkAdmin(request.headers.get('authorization'), serverContext().adminToken)
  return check.ok ? null : json({ error: check.error }, check.status)
}
