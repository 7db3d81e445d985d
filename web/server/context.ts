// What the web host knows about itself: its configuration, the manifest it started with, when it
// started and its admin token. Read once per process; every route and the page use this.
import { resolveAdminToken, type AdminToken } from '../../lib/server/admin-auth.ts'
import { readConfig, type SfConfig } from '../../lib/env.ts'
import { readManifest, type ReleaseManifest } from '../../lib/release/manifest.ts'

export interface ServerContext {
  config: SfConfig
  manifest: ReleaseManifest | null
  /** Why there is no manifest, for /api/version's 503. */
  manifestProblem: string | null
  startedAt: Date
  adminToken: AdminToken
}

const key = Symbol.for('sf.server-context')

export function serverContext(): ServerContext {
  const g = globalThis as { [key]?: ServerContext }
  g[key] ??= loadContext()
  return g[key]
}

function loadContext(): ServerContext {
  // The loader passes every path explicitly; the checkout default only matters outside it.
  const config = readConfig(process.env, { checkout: process.cwd() })
  let manifest: ReleaseManifest | null = null
  let manifestProblem: string | null = null
  try {
    manifest = readManifest(config.SF_RELEASE_MANIFEST)
    if (!manifest) manifestProblem = `no release manifest at ${config.SF_RELEASE_MANIFEST}: run npm run write-manifest and restart`
  } catch (error) {
    manifestProblem = (error as Error).message
  }
  return {
    config,
    manifest,
    manifestProblem,
    startedAt: new Date(),
    adminToken: resolveAdminToken({ envToken: config.SF_ADMIN_TOKEN, sfHome: config.SF_HOME }),
  }
}
