import { listProjects } from '../../../../lib/server/projects.ts'
import { serverContext } from '../../../server/context.ts'
import { json } from '../../../server/respond.ts'

export const dynamic = 'force-dynamic'

/** The workspace and the repos under the workspaces dir. */
export async function GET() {
  const { config } = serverContext()
  return json(await listProjects({ workspaceDir: config.SF_WEB_PROJECT_CWD, workspacesDir: config.SF_WORKSPACES_DIR }))
}
