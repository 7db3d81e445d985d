import { processDrain } from '../../../../lib/server/drain.ts'
import { json, refuseUnlessAdmin } from '../../../server/respond.ts'
import { log } from '../../../server/log.ts'

export const dynamic = 'force-dynamic'

/** Admin: start the drain now (readiness 503); the process stays up until it is signalled. */
export function POST(request: Request) {
  const refused = refuseUnlessAdmin(request)
  if (refused) return refused
  const drain = processDrain()
  drain.requestShutdown('POST /api/drain')
  log('drain requested over POST /api/drain: readiness 503')
  return json(drain.snapshot(), 202)
}

/** Admin: the drain's state and the work still running. */
export function GET(request: Request) {
  return refuseUnlessAdmin(request) ?? json(processDrain().snapshot())
}
