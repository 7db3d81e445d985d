import { json } from '../../../server/respond.ts'

export const dynamic = 'force-dynamic'

/** 200 while the process lives. */
export function GET() {
  return json({ status: 'ok' })
}
