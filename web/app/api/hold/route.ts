import { processDrain } from '../../../../lib/server/drain.ts'
import { json, refuseUnlessAdmin } from '../../../server/respond.ts'

export const dynamic = 'force-dynamic'

const maxMs = 600_000

/**
 * Admin: hold a request open for ?ms= milliseconds, as registered work. Deployments and the
 * upgrade benchmark use it to prove a drain lets slow work finish.
 */
export async function GET(request: Request) {
  const refused = refuseUnlessAdmin(request)
  if (refused) return refused
  const raw = new URL(request.url).searchParams.get('ms') ?? ''
  if (!/^\d+$/.test(raw) || Number(raw) > maxMs) {
    return json({ error: `ms=${JSON.stringify(raw)}: must be a whole number of milliseconds from 0 to ${maxMs}` }, 400)
  }
  const done = processDrain().begin('held requests')
  try {
    await new Promise((resolve) => setTimeout(resolve, Number(raw)))
  } finally {
    done()
  }
  return json({ heldMs: Number(raw) })
}
