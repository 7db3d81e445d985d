import { projectListing } from '../../../server/projects.ts'
import { json } from '../../../server/respond.ts'

export const dynamic = 'force-dynamic'

/** The workspace and the repos under the workspaces dir (web/proxy.ts has checked the Host). */
export async function GET() {
  return json(await projectListing())
}
