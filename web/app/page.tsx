import { AdminPanel } from '../components/admin-panel.tsx'
import { ProjectsView } from '../components/projects-view.tsx'
import { projectListing } from '../server/projects.ts'

export const dynamic = 'force-dynamic'

export default async function Home() {
  return (
    <>
      <ProjectsView listing={await projectListing()} />
      <AdminPanel />
    </>
  )
}
