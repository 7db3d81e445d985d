// The project listing as the page and /api/projects serve it: one walk answers every request for a
// few seconds, and a failure is said in the listing rather than turned into an empty 500.
import { listProjects, type ProjectListing } from '../../lib/server/projects.ts'
import { createShortCache, type ShortCache } from '../../lib/server/short-cache.ts'
import { serverContext } from './context.ts'
import { log } from './log.ts'

const ttlMs = 5000
const key = Symbol.for('sf.projects-cache')

export function projectListing(): Promise<ProjectListing> {
  const g = globalThis as { [key]?: ShortCache<ProjectListing> }
  g[key] ??= createShortCache(ttlMs)
  const { config } = serverContext()
  const options = { workspaceDir: config.SF_WEB_PROJECT_CWD, workspacesDir: config.SF_WORKSPACES_DIR }
  return g[key].get(JSON.stringify(options), () =>
    listProjects(options).catch((error: Error) => {
      log(`listing projects failed: ${error.stack ?? error.message}`)
      return {
        workspace: { path: options.workspaceDir, name: options.workspaceDir.split('/').pop() ?? '', git: false, sf: false },
        workspacesDir: options.workspacesDir,
        projects: [],
        skipped: [],
        problems: [`the projects could not be listed (${error.message}): see the server log`],
      }
    }),
  )
}
