import { checkReadiness } from '../../../../lib/server/readiness.ts'
import { json } from '../../../server/respond.ts'

export const dynamic = 'force-dynamic'

/** 200 when the server should take traffic; 503 with the reason while starting or draining. */
export async function GET() {
  const result = await checkReadiness()
  return json(result, result.ready ? 200 : 503)
}
