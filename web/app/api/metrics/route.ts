import { metricsRegistry } from '../../../server/metrics.ts'
import { refuseUnlessAdmin } from '../../../server/respond.ts'

export const dynamic = 'force-dynamic'

/**
 * Admin (web/proxy.ts checks the Host first): the process, its requests, the drain, the build and the
 * deployments in the Prometheus text format. The admin token, because behind the front every client
 * comes from the front's address, so loopback cannot be told from anyone who reaches the port.
 */
export async function GET(request: Request) {
  const refused = refuseUnlessAdmin(request)
  if (refused) return refused
  const registry = metricsRegistry()
  return new Response(await registry.metrics(), { headers: { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' } })
}
