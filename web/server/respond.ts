import { checkAdmin } from '../../lib/server/admin-auth.ts'
import { serverContext } from './context.ts'

/** JSON that no cache keeps: probes must see the live state. */
export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { 'Cache-Control': 'no-store' } })
}

/** The response refusing an admin request, or null when the request may go on. (web/proxy.ts has checked the Host.) */
export function refuseUnlessAdmin(request: Request): Response | null {
  const check = checkAdmin(request.headers.get('authorization'), serverContext().adminToken)
  return check.ok ? null : json({ error: check.error }, check.status)
}

/** The request's body as text, or null when it is longer than `maxBytes` (read no further). */
export async function bodyText(request: Request, maxBytes: number): Promise<string | null> {
  if (Number(request.headers.get('content-length') ?? 0) > maxBytes) return null
  if (!request.body) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of request.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > maxBytes) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
