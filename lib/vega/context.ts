// What every vega command starts from: the checkout, the validated configuration, and how progress is
// shown; and the container's inputs for a release.
import net from 'node:net'
import { loadEnv, readConfig, type Env, type SfConfig } from '../env.ts'
import { BuildError } from '../errors.ts'
import { distPaths } from '../paths.ts'
import type { Progress } from '../progress.ts'
import { readManifest } from '../release/manifest.ts'
import type { VegaInputs } from './container.ts'
import type { Preflight } from './preflight.ts'
import type { Report } from './report.ts'

export interface VegaContext {
  root: string
  env: Env
  config: SfConfig
  progress: Progress
}

/** A context whose progress also records phase durations and JSON events (upgrade, rollback). */
export interface UpgradeContext extends Omit<VegaContext, 'progress'> {
  progress: Report
}

/** Read and validate the configuration; throws before anything is changed. */
export function vegaContext(root: string, env: Env, progress: Progress): VegaContext {
  return { root, env, progress, config: readConfig(loadEnv(env, root), { checkout: root }) }
}

/** The container's inputs for a release: by default the one dist/sf-release-manifest.json names. */
export function vegaInputs(ctx: VegaContext | UpgradeContext, preflight: Preflight, manifestFile = distPaths(ctx.root).manifest): VegaInputs {
  const { config, root } = ctx
  const manifest = readManifest(manifestFile)
  if (!manifest) throw new BuildError(`no release manifest at ${manifestFile}: run npm run write-manifest`)
  return {
    name: config.SF_VEGA_NAME,
    image: config.SF_VEGA_IMAGE,
    checkout: root,
    workspaceDir: config.SF_WORKSPACE_DIR,
    workspacesDir: config.SF_WORKSPACES_DIR,
    sfHome: config.SF_HOME,
    bind: config.SF_VEGA_BIND,
    port: config.SF_VEGA_PORT,
    dockerSocket: config.SF_DOCKER_SOCKET,
    dockerGid: preflight.dockerGid,
    graceMs: config.SF_RPC_SHUTDOWN_GRACE_MS,
    stopTimeout: config.SF_VEGA_DRAIN_STOP_TIME,
    buildId: manifest.webHost.buildId,
    commit: manifest.git.commit,
    loader: manifest.loader,
    // The deploy scripts' probes reach /api/projects, which answers only the hosts it knows.
    allowedHosts: [...(config.SF_ALLOWED_HOSTS ?? []), ...(net.isIP(preflight.probeHost) ? [] : [preflight.probeHost])],
  }
}
