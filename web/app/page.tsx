import { AdminPanel } from '../components/admin-panel.tsx'
import { ControllerPanel } from '../components/controller-panel.tsx'
import { ProjectsView } from '../components/projects-view.tsx'
import { servedControllerState } from '../server/controller.ts'
import { projectListing } from '../server/projects.ts'

export const dynamic = 'force-dynamic'

export default async function Home() {
  const controller = servedControllerState()
  return (
    <>
      <ProjectsView listing={await projectListing()} />
      {controller && <ControllerPanel state={controller} />}
      <AdminPanel />
    </>
  )
}
