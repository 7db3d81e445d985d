// docker:vega:up: build the web host, write the manifest, then replace the one shared vega container
// (drained first) and wait until it serves this build. With the Compose plugin the container is made
// from docker-compose.vega.yaml, otherwise by runVegaSourceServer's `docker run`: the same container.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { chooseBaseImage } from './base-choice.ts'
import { buildCore } from './core-build.ts'
import { buildImage, docker, inspectContainer, logsArgs, removeContainerArgs, runDetachedArgs } from './docker.ts'
import { loadEnv, readConfig, type Env, type SfConfig } from './env.ts'
import { BuildError, ProbeError } from './errors.ts'
import { readManifest, type ReleaseManifest } from './manifest.ts'
import { distPaths } from './paths.ts'
import { fetchAnswer } from './probe.ts'
import { drainContainer } from './upgrade/prod.ts'
import { probeServer } from './upgrade/probes.ts'
import type { Progress } from './progress.ts'
import { writeReleaseManifest } from './release.ts'
import { composeEnv, vegaContainer, type VegaInputs } from './vega.ts'
import { preflightVega, urlOf, type Preflight } from './vega-preflight.ts'
import { buildWebHost } from './web-host.ts'
import { acquireLock, lockFile } from './upgrade/lock.ts'
import { recordServing } from './upgrade/releases.ts'
import { keepAfterDeploy, pruneBuilds } from './prune-builds.ts'

export interface VegaContext {
  root: string
  env: Env
  config: SfConfig
  progress: Progress
}

export interface Serving {
  url: string
  container: string
  manifest: ReleaseManifest
}

/** Read and validate the configuration; throws before anything is changed. */
export function vegaContext(root: string, env: Env, progress: Progress): VegaContext {
  return { root, env, progress, config: readConfig(loadEnv(env, root), { checkout: root }) }
}

export async function vegaUp(ctx: VegaContext): Promise<Serving> {
  const preflight = await checked(ctx)
  return locked(ctx, 'npm run docker:vega:up', async () => {
    let done = ctx.progress.phase('bundle dist/loader.js')
    await buildCore(ctx.root)
    done()
    await buildWebHost({ root: ctx.root, env: ctx.env, progress: ctx.progress })
    done = ctx.progress.phase('write dist/sf-release-manifest.json')
    await writeReleaseManifest({ root: ctx.root, image: { tag: null, digest: null } })
    done()
    if (!(await composeAnswers(ctx.env))) {
      ctx.progress.note('the Docker Compose plugin does not answer: running the same container with docker run')
      return runContainer(ctx, preflight)
    }
    const inputs = vegaInputs(ctx, preflight)
    await buildRuntimeImage(ctx)
    const file = path.join(ctx.root, 'docker-compose.vega.yaml')
    await replace(ctx, preflight, () => docker(['compose', '--file', file, 'up', '--detach', '--no-build'], { env: { ...ctx.env, ...composeEnv(inputs) } }))
    return waitServing(ctx, inputs, preflight.probeHost)
  })
}

/** scripts/run-vega-source-server.ts: build the runtime image and run the container for the staged build. */
export async function runVegaSourceServer(ctx: VegaContext): Promise<Serving> {
  const preflight = await checked(ctx)
  return locked(ctx, 'npm run docker:vega:run', () => runContainer(ctx, preflight))
}

async function runContainer(ctx: VegaContext, preflight: Preflight): Promise<Serving> {
  const inputs = vegaInputs(ctx, preflight)
  await buildRuntimeImage(ctx)
  await replace(ctx, preflight, () => docker(runDetachedArgs(vegaContainer(inputs)), { env: ctx.env }))
  return waitServing(ctx, inputs, preflight.probeHost)
}

/** Remove old staged builds nothing needs, as one phase. */
export async function pruneAfterDeploy(ctx: VegaContext): Promise<void> {
  const done = ctx.progress.phase('prune old builds')
  const plan = await pruneBuilds({ root: ctx.root, env: ctx.env, sfHome: ctx.config.SF_HOME, keep: keepAfterDeploy })
  done(`removed ${plan.remove.length}, kept ${plan.keep.length}`)
}

/** Under the upgrade lock (no two changes to one container at once); records what now serves. */
async function locked(ctx: VegaContext, command: string, body: () => Promise<Serving>): Promise<Serving> {
  const { config, env } = ctx
  const lock = await acquireLock(lockFile(config.SF_HOME, config.SF_VEGA_NAME), { command, waitMs: 0 })
  try {
    const serving = await body()
    const state = await inspectContainer(config.SF_VEGA_NAME, env)
    const m = serving.manifest
    if (state) await recordServing(config.SF_HOME, config.SF_VEGA_NAME, { buildId: m.webHost.buildId, commit: m.git.commit, dirty: m.git.dirty, imageId: state.imageId, at: state.startedAt })
    await pruneAfterDeploy(ctx)
    return serving
  } finally {
    await lock.release()
  }
}

async function checked(ctx: VegaContext): Promise<Preflight> {
  const done = ctx.progress.phase('preflight')
  const preflight = await preflightVega(ctx.config, ctx.env)
  done(preflight.existing ? `replacing ${preflight.existing.name}` : `no ${ctx.config.SF_VEGA_NAME} yet`)
  return preflight
}

/** The container's inputs for a release: by default the one dist/sf-release-manifest.json names. */
export function vegaInputs(ctx: VegaContext, preflight: Preflight, manifestFile = distPaths(ctx.root).manifest): VegaInputs {
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
  }
}

async function composeAnswers(env: Env): Promise<boolean> {
  return (await docker(['compose', 'version'], { env, allowFailure: true, timeoutMs: 10_000 })).code === 0
}

/** docker/Dockerfile.source-server needs no files, so its context is an empty folder. */
export async function buildRuntimeImage(ctx: VegaContext): Promise<void> {
  const base = await chooseBaseImage({ configured: ctx.config.SF_BASE_IMAGE, env: ctx.env, progress: ctx.progress })
  const done = ctx.progress.phase(`build ${ctx.config.SF_VEGA_IMAGE} on ${base.image}`)
  const context = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-runtime-'))
  try {
    const dockerfile = path.join(ctx.root, 'docker', 'Dockerfile.source-server')
    await buildImage({ dockerfile, context, tag: ctx.config.SF_VEGA_IMAGE, buildArgs: { BASE_IMAGE: base.image }, labels: { 'sf.role': 'runtime' } }, ctx.env, ctx.progress)
  } finally {
    await fs.rm(context, { recursive: true, force: true })
  }
  done()
}

/** Drain and remove the container under the name (if any), then create the new one. */
async function replace(ctx: VegaContext, preflight: Preflight, create: () => Promise<unknown>): Promise<void> {
  const { config, env, progress } = ctx
  await fs.mkdir(config.SF_HOME, { recursive: true, mode: 0o700 })
  if (preflight.existing) {
    const name = preflight.existing.name
    if (preflight.existing.running) await drainContainer(name, config.SF_VEGA_DRAIN_STOP_TIME, env, progress)
    await docker(removeContainerArgs(name, { force: true }), { env, allowFailure: true })
  }
  const done = progress.phase(`start ${config.SF_VEGA_NAME}`)
  await create()
  done()
}

async function waitServing(ctx: VegaContext, inputs: VegaInputs, probeHost: string): Promise<Serving> {
  const url = urlOf(probeHost, inputs.port)
  const done = ctx.progress.phase(`wait for ${url}/api/ready`)
  try {
    await probeServer(url, { commit: inputs.commit, buildId: inputs.buildId }, { deadlineMs: 90_000, container: inputs.name, env: ctx.env })
  } catch (error) {
    const logs = await docker(logsArgs(inputs.name, 40), { env: ctx.env, allowFailure: true })
    throw new ProbeError(`${(error as Error).message}\nlast log lines of ${inputs.name}:\n${(logs.stdout + logs.stderr).trim()}`)
  }
  const manifest = (await fetchAnswer(`${url}/api/version`)).json as { manifest: ReleaseManifest }
  done()
  return { url, container: inputs.name, manifest: manifest.manifest }
}
