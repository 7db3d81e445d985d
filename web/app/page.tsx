import { ProjectsView } from '../components/projects-view.tsx'
import { listProjects } from '../../lib/server/projects.ts'
import { serverContext } from '../server/context.ts'

export const dynamic = 'force-dynamic'

export default async function Home() {
  const { config } = serverContext()
  const listing = await listProjects({ workspaceDir: config.SF_WEB_PROJECT_CWD, workspacesDir: config.SF_WORKSPACES_DIR })
  return <ProjectsView listing={listing} />
}
