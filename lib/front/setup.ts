// Making the front exist: its private network, its configuration and its container. `up` creates or
// adopts it; upgrade and rollback only use it. The config on disk always says which slot is active,
// so a front restarted by its restart policy comes back routing where it was.
import fs from 'node:fs/promises'
import { networkCreateArgs, networkInspectArgs, runDetachedArgs, startArgs } from '../docker/args.ts'
import { docker } from '../docker/engine.ts'
import { chooseFrontImage } from '../docker/front-image.ts'
import { inspectContainer, type ContainerState } from '../docker/inspect.ts'
import { ConfigError, ProbeError } from '../errors.ts'
import type { VegaContext } from '../vega/context.ts'
import { frontContainer, frontDir, frontFiles, frontName, networkName, renderFrontConfig, type Slot } from './definition.ts'
import { frontCommand, readSlots, type SlotState } from './runtime-api.ts'

export function frontPaths(ctx: VegaContext) {
  return frontFiles(frontDir(ctx.config.SF_HOME, ctx.config.SF_VEGA_NAME))
}

/** Write haproxy.cfg for `active` atomically (a rename in the mounted folder). No reload: it is read at the next start. */
export async function writeFrontConfig(ctx: VegaContext, active: Slot | null): Promise<void> {
  const dir = frontDir(ctx.config.SF_HOME, ctx.config.SF_VEGA_NAME)
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  await fs.chmod(dir, 0o700)
  const text = renderFrontConfig({ name: ctx.config.SF_VEGA_NAME, active, serverTimeoutSeconds: ctx.config.SF_VEGA_DRAIN_STOP_TIME })
  const file = frontPaths(ctx).config
  await fs.writeFile(`${file}.tmp`, text, { mode: 0o600 })
  await fs.rename(`${file}.tmp`, file)
}

export async function ensureNetwork(ctx: VegaContext): Promise<void> {
  const name = networkName(ctx.config.SF_VEGA_NAME)
  const found = await docker(networkInspectArgs(name), { env: ctx.env, allowFailure: true })
  if (found.code === 0) {
    const labels = JSON.parse(found.stdout.trim() || 'null') as Record<string, string> | null
    if (labels?.['sf.vega.name'] !== ctx.config.SF_VEGA_NAME) {
      throw new ConfigError(`a network named ${name} exists that docker:vega:up did not make: remove it (docker network rm ${name}) or set SF_VEGA_NAME`)
    }
    return
  }
  const done = ctx.progress.phase(`create the network ${name}`)
  await docker(networkCreateArgs(name, { 'sf.role': 'vega-network', 'sf.vega.name': ctx.config.SF_VEGA_NAME }), { env: ctx.env })
  done()
}

/** The front container if there is one, running or not. */
export async function findFront(ctx: VegaContext): Promise<ContainerState | null> {
  return inspectContainer(frontName(ctx.config.SF_VEGA_NAME), ctx.env)
}

/** Create the front (routing to `active`) when there is none, start it when stopped; wait for its admin socket. */
export async function ensureFront(ctx: VegaContext, active: Slot | null): Promise<void> {
  const existing = await findFront(ctx)
  if (existing && existing.labels['sf.role'] !== 'vega-front') {
    throw new ConfigError(`a container named ${existing.name} exists that docker:vega:up did not make: remove it (docker rm -f ${existing.name}) or set SF_VEGA_NAME`)
  }
  if (existing?.running) return
  if (existing) {
    const done = ctx.progress.phase(`start ${existing.name}`)
    await docker(startArgs(existing.name), { env: ctx.env })
    done()
  } else {
    const image = await chooseFrontImage({ configured: ctx.config.SF_VEGA_FRONT_IMAGE, env: ctx.env, progress: ctx.progress })
    await writeFrontConfig(ctx, active)
    const spec = frontContainer({ name: ctx.config.SF_VEGA_NAME, image: image.image, bind: ctx.config.SF_VEGA_BIND, port: ctx.config.SF_VEGA_PORT, sfHome: ctx.config.SF_HOME })
    const done = ctx.progress.phase(`start ${spec.name} on ${image.image} (${image.why})`)
    await docker(runDetachedArgs(spec), { env: ctx.env })
    done()
  }
  await waitForSocket(ctx, 15_000)
}

export async function waitForSocket(ctx: VegaContext, deadlineMs: number): Promise<SlotState[]> {
  const { socket } = frontPaths(ctx)
  const deadline = Date.now() + deadlineMs
  let last = ''
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    try {
      if ((await frontCommand(socket, 'show info', 2000)).includes('Name: HAProxy')) return await readSlots(socket)
    } catch (error) {
      last = (error as Error).message
    }
    if (Date.now() > deadline) throw new ProbeError(`the front's admin socket ${socket} did not answer within ${deadlineMs} ms (${last}); see docker logs ${frontName(ctx.config.SF_VEGA_NAME)}`)
    await new Promise((r) => setTimeout(r, wait))
  }
}

/**
 * Behind the front, a front or server stopped by hand (docker stop or kill, which the restart policy
 * leaves down) is started again, first of all: nothing answers until it is. Returns what it started.
 */
export async function startStopped(ctx: VegaContext): Promise<string[]> {
  const { config, env } = ctx
  const front = await findFront(ctx)
  const server = await inspectContainer(config.SF_VEGA_NAME, env)
  const stopped = [front, server].filter((c): c is ContainerState => c !== null && !c.running && c.labels['sf.vega.name'] === config.SF_VEGA_NAME)
  if (!stopped.length) return []
  const done = ctx.progress.phase(`start the stopped ${stopped.map((c) => c.name).join(' and ')}`)
  for (const c of stopped) await docker(startArgs(c.name), { env })
  if (stopped.includes(front!)) await waitForSocket(ctx, 15_000)
  done()
  return stopped.map((c) => `started ${c.name}, which was stopped (exit code ${c.exitCode})`)
}
