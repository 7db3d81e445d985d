import { servedControllerState } from '../../../server/controller.ts'
import { json } from '../../../server/respond.ts'

export const dynamic = 'force-dynamic'

/**
 * The state this host's deployment controller last wrote, or null where none runs. Public like the
 * probes: the deployer's --wait asks every host over its probe URL and holds no admin token, and the
 * state names digests, times and reasons, nothing secret.
 */
export function GET() {
  return json({ controller: servedControllerState() })
}
