// What the web host knows about itself: its configuration, the manifest it started with, when it
// started and its admin token. Read once per process; every route and the page use this.
import fs from 'node:fs'
import path from 'node:path'
import { resolveAdminToken, type AdminToken } from '../../lib/server/admin-auth.ts'
import { readConfig, type SfConfig } from '../../lib/env.ts'
import { BuildError } from '../../lib/errors.ts'
import { manifestMismatch, readManifest, type ReleaseManifest, type ServedBuild } from '../../lib/release/manifest.ts'

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
  // The loader checked the manifest a moment ago; it may have been replaced since. Serving it anyway
  // would make /api/version name a build this process does not run.
  const served = servedBuild(config)
  const mismatch = manifest && served && manifestMismatch(manifest, served, config.SF_RELEASE_MANIFEST)
  if (mismatch) {
    throw new BuildError(`${mismatch}: refusing to start, so /api/version never names a build this process does not serve; start it again (the loader re-reads the manifest), or run npm run write-manifest first`)
  }
  return {
    config,
    manifest,
    manifestProblem,
    startedAt: new Date(),
    adminToken: resolveAdminToken({ envToken: config.SF_ADMIN_TOKEN, sfHome: config.SF_HOME }),
  }
}

/**
 * The build this process serves: SF_WEB_BUILD_ID, as the loader checked it, with the content digest
 * from the build's own record (Next's server.js runs in dist/web/builds/<id>/web, the record is one
 * folder up). Null when not started by the loader.
 */
function servedBuild(config: SfConfig): ServedBuild | null {
  if (!config.SF_WEB_BUILD_ID) return null
  try {
    const record = JSON.parse(fs.readFileSync(path.join(process.cwd(), '..', 'sf-web-host.json'), 'utf8')) as { buildId?: unknown; digest?: unknown }
    if (record.buildId === config.SF_WEB_BUILD_ID && typeof record.digest === 'string') return { buildId: config.SF_WEB_BUILD_ID, digest: record.digest }
  } catch {
    // No record to compare the digest with (a build staged some other way): the build id still is.
  }
  return { buildId: config.SF_WEB_BUILD_ID }
}
