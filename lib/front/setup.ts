// Making the front exist: its private network, its configuration and its container. A site's first
// command (vega's up, a docker target's rollout) creates or adopts it; a switch only uses it. The config
// on disk always says which slot is active, so a front restarted by its restart policy comes back
// routing where it was.
import fs from 'node:fs/promises'
import { networkCreateArgs, networkInspectArgs, runDetachedArgs, startArgs } from '../docker/args.ts'
import { docker } from '../docker/engine.ts'
import { chooseFrontImage } from '../docker/front-image.ts'
import { inspectContainer, type ContainerState } from '../docker/inspect.ts'
import { ConfigError, ProbeError } from '../errors.ts'
import { frontContainer, frontDir, frontFiles, frontName, networkName, renderFrontConfig, type Slot } from './definition.ts'
import { frontCommand, readSlots, type SlotState } from './runtime-api.ts'
import type { FrontSite } from './site.ts'

export function frontPaths(site: Pick<FrontSite, 'home' | 'name'>) {
  return frontFiles(frontDir(site.home, site.name))
}

/** Write haproxy.cfg for `active` atomically (a rename in the mounted folder). No reload: it is read at the next start. */
export async function writeFrontConfig(site: FrontSite, active: Slot | null): Promise<void> {
  const dir = frontDir(site.home, site.name)
  await fs.mkdir(dir, { recursive: true, mode: 0o700 })
  await fs.chmod(dir, 0o700)
  const text = renderFrontConfig({ name: site.name, active, serverTimeoutSeconds: site.drainStopSeconds })
  const file = frontPaths(site).config
  await fs.writeFile(`${file}.tmp`, text, { mode: 0o600 })
  await fs.rename(`${file}.tmp`, file)
}

export async function ensureNetwork(site: FrontSite): Promise<void> {
  const name = networkName(site.name)
  const found = await docker(networkInspectArgs(name), { env: site.env, allowFailure: true })
  if (found.code === 0) {
    const labels = JSON.parse(found.stdout.trim() || 'null') as Record<string, string> | null
    if (labels?.['sf.vega.name'] !== site.name) {
      throw new ConfigError(`a network named ${name} exists that ${site.words.maker} did not make: remove it (docker network rm ${name}) or ${site.words.rename}`)
    }
    return
  }
  const done = site.progress.phase(`create the network ${name}`)
  await docker(networkCreateArgs(name, { 'sf.role': 'vega-network', 'sf.vega.name': site.name }), { env: site.env })
  done()
}

/** The front container if there is one, running or not. */
export async function findFront(site: Pick<FrontSite, 'name' | 'env'>): Promise<ContainerState | null> {
  return inspectContainer(frontName(site.name), site.env)
}

/** Create the front (routing to `active`) when there is none, start it when stopped; wait for its admin socket. */
export async function ensureFront(site: FrontSite, active: Slot | null): Promise<void> {
  const existing = await findFront(site)
  if (existing && existing.labels['sf.role'] !== 'vega-front') {
    throw new ConfigError(`a container named ${existing.name} exists that ${site.words.maker} did not make: remove it (docker rm -f ${existing.name}) or ${site.words.rename}`)
  }
  if (existing?.running) return
  if (existing) {
    const done = site.progress.phase(`start ${existing.name}`)
    await docker(startArgs(existing.name), { env: site.env })
    done()
  } else {
    const image = await chooseFrontImage({ configured: site.frontImage, setting: site.words.frontImage, env: site.env, progress: site.progress })
    await writeFrontConfig(site, active)
    const spec = frontContainer({ name: site.name, image: image.image, bind: site.bind, port: site.port, sfHome: site.home })
    const done = site.progress.phase(`start ${spec.name} on ${image.image} (${image.why})`)
    await docker(runDetachedArgs(spec), { env: site.env })
    done()
  }
  await waitForSocket(site, 15_000)
}

export async function waitForSocket(site: Pick<FrontSite, 'home' | 'name'>, deadlineMs: number): Promise<SlotState[]> {
  const { socket } = frontPaths(site)
  const deadline = Date.now() + deadlineMs
  let last = ''
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    try {
      if ((await frontCommand(socket, 'show info', 2000)).includes('Name: HAProxy')) return await readSlots(socket)
    } catch (error) {
      last = (error as Error).message
    }
    if (Date.now() > deadline) throw new ProbeError(`the front's admin socket ${socket} did not answer within ${deadlineMs} ms (${last}); see docker logs ${frontName(site.name)}`)
    await new Promise((r) => setTimeout(r, wait))
  }
}

/**
 * Behind the front, a front or server stopped by hand (docker stop or kill, which the restart policy
 * leaves down) is started again, first of all: nothing answers until it is. Returns what it started.
 */
export async function startStopped(site: FrontSite): Promise<string[]> {
  const { name, env } = site
  const front = await findFront(site)
  const server = await inspectContainer(name, env)
  const stopped = [front, server].filter((c): c is ContainerState => c !== null && !c.running && c.labels['sf.vega.name'] === name)
  if (!stopped.length) return []
  const done = site.progress.phase(`start the stopped ${stopped.map((c) => c.name).join(' and ')}`)
  for (const c of stopped) await docker(startArgs(c.name), { env })
  if (stopped.includes(front!)) await waitForSocket(site, 15_000)
  done()
  return stopped.map((c) => `started ${c.name}, which was stopped (exit code ${c.exitCode})`)
}
