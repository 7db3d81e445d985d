import { startFromRequest } from '../../../../server/self-upgrade.ts'

export const dynamic = 'force-dynamic'

/** Admin: put the previous release back, the same careful way (body: {}). */
export function POST(request: Request) {
  return startFromRequest(request, 'rollback')
}
