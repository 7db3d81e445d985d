// Making the front exist: its private network, its port holder, its configuration and its container. A
// site's first command (vega's up, a docker target's rollout) creates or adopts it; a switch only uses
// it. The config on disk always says which slot is active, so a front restarted by its restart policy
// comes back routing where it was.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { containersWithLabelsArgs, imageInspectArgs, networkCreateArgs, networkInspectArgs, runDetachedArgs, startArgs } from '../docker/args.ts'
import { docker } from '../docker/engine.ts'
import { chooseFrontImage, localFrontTag, officialFrontImage } from '../docker/front-image.ts'
import { imageExists } from '../docker/image-choice.ts'
import { inspectContainer, type ContainerState } from '../docker/inspect.ts'
import type { Env } from '../env.ts'
import { ConfigError, DockerError, ProbeError } from '../errors.ts'
import {
  frontConfigDigest,
  frontContainer,
  frontDir,
  frontFiles,
  frontIdLength,
  frontMetricsBind,
  frontMetricsPort,
  frontName,
  frontSocketFile,
  networkName,
  portHolderContainer,
  portHolderName,
  renderFrontConfig,
  renderPortHolderConfig,
  type Slot,
} from './definition.ts'
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

export async function findPortHolder(site: Pick<FrontSite, 'name' | 'env'>): Promise<ContainerState | null> {
  return inspectContainer(portHolderName(site.name), site.env)
}

/** Every front container of the site, running or not: one, or two while one takes over (or after a run killed then). */
export async function listFronts(site: Pick<FrontSite, 'name' | 'env'>): Promise<ContainerState[]> {
  const ids = await docker(containersWithLabelsArgs({ 'sf.role': 'vega-front', 'sf.vega.name': site.name }), { env: site.env })
  const found = await Promise.all(ids.stdout.split('\n').filter(Boolean).map((id) => inspectContainer(id, site.env)))
  return found.filter((c): c is ContainerState => c !== null).sort((a, b) => a.startedAt.localeCompare(b.startedAt))
}

/**
 * The site's own container that publishes `port` and runs: its holder, or a front made before holders.
 * Held by it is held by the site. Null when neither does.
 */
export async function findPortOwner(site: Pick<FrontSite, 'name' | 'env'>, port: number): Promise<ContainerState | null> {
  for (const [container, role] of [[portHolderName(site.name), 'vega-port'], [frontName(site.name), 'vega-front']] as const) {
    const found = await inspectContainer(container, site.env)
    const ours = found?.labels['sf.role'] === role && found.labels['sf.vega.name'] === site.name
    if (ours && found.running && found.ports.some((p) => p.hostPort === port)) return found
  }
  return null
}

/** What the site's holder publishes: the site's address, and the front's metrics on loopback. */
export function holderAddresses(site: Pick<FrontSite, 'bind' | 'port' | 'metricsPort'>): string {
  return site.metricsPort === undefined ? `${site.bind}:${site.port}` : `${site.bind}:${site.port} (metrics: ${frontMetricsBind}:${site.metricsPort})`
}

/** The holder publishes what the site wants: a changed bind, port or metrics port means a new holder. */
export function holderIsCurrent(holder: ContainerState, site: Pick<FrontSite, 'bind' | 'port' | 'metricsPort'>): boolean {
  const publishes = (bind: string, port: number) => holder.ports.some((p) => p.bind === bind && p.hostPort === port)
  const metrics = holder.ports.filter((p) => p.containerPort === frontMetricsPort)
  const metricsCurrent = site.metricsPort === undefined ? metrics.length === 0 : metrics.length === 1 && publishes(frontMetricsBind, site.metricsPort)
  return publishes(site.bind, site.port) && metricsCurrent
}

/** A front made before the port holder publishes the port itself. */
export const publishesPort = (front: ContainerState) => front.ports.length > 0

/** A front's own admin socket on the host: admin-<id>.sock, or admin.sock for a front made before the holder. */
export function frontSocket(site: Pick<FrontSite, 'home' | 'name'>, front: ContainerState): string {
  const id = front.env.SF_FRONT_ID
  return id ? path.join(frontDir(site.home, site.name), frontSocketFile(id)) : frontPaths(site).socket
}

/** Point admin.sock at the front with this id: an atomic rename of a relative link. */
export async function linkFrontSocket(site: Pick<FrontSite, 'home' | 'name'>, id: string): Promise<void> {
  const { socket } = frontPaths(site)
  await fs.rm(`${socket}.tmp`, { force: true })
  await fs.symlink(frontSocketFile(id), `${socket}.tmp`)
  await fs.rename(`${socket}.tmp`, socket)
}

/** The id of the front admin.sock points at, if it is a link. */
export async function linkedFrontId(site: Pick<FrontSite, 'home' | 'name'>): Promise<string | null> {
  const target = await fs.readlink(frontPaths(site).socket).catch(() => null)
  return /^admin-(.+)\.sock$/.exec(target ?? '')?.[1] ?? null
}

/** A new front's id: its admin socket's name and a label. Sortable by time, unique per host. */
export function newFrontId(): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`.padStart(frontIdLength, '0')
}

/** The port holder, created (with its config) when missing and started when stopped. */
export async function ensurePortHolder(site: FrontSite, image: string): Promise<ContainerState> {
  const existing = await findPortHolder(site)
  if (existing && existing.labels['sf.role'] !== 'vega-port') {
    throw new ConfigError(`a container named ${existing.name} exists that ${site.words.maker} did not make: remove it (docker rm -f ${existing.name}) or ${site.words.rename}`)
  }
  if (existing?.running) return existing
  if (existing) {
    const done = site.progress.phase(`start ${existing.name}`)
    await docker(startArgs(existing.name), { env: site.env })
    done()
  } else {
    const { holderConfig } = frontPaths(site)
    await fs.mkdir(path.dirname(holderConfig), { recursive: true, mode: 0o700 })
    await fs.writeFile(holderConfig, renderPortHolderConfig(), { mode: 0o600 })
    const spec = portHolderContainer({ name: site.name, image, bind: site.bind, port: site.port, metricsPort: site.metricsPort, sfHome: site.home })
    const done = site.progress.phase(`start ${spec.name}, which owns ${holderAddresses(site)}`)
    await docker(runDetachedArgs(spec), { env: site.env })
    done()
  }
  const holder = await findPortHolder(site)
  if (!holder?.running) throw new DockerError(`${portHolderName(site.name)} did not keep running (exit code ${holder?.exitCode ?? '?'}); see docker logs ${portHolderName(site.name)}`)
  return holder
}

/** What a front is run from and with: compared with a running front to see whether it must be replaced. */
export interface WantedFront {
  image: string
  why: string
  /** The image's id, or null when it is not on this host yet (a dry run does not build or pull it). */
  imageId: string | null
  configDigest: string
}

export async function wantedFront(site: FrontSite, o: { dryRun?: boolean } = {}): Promise<WantedFront> {
  const configDigest = frontConfigDigest({ name: site.name, serverTimeoutSeconds: site.drainStopSeconds })
  if (o.dryRun) {
    const image = site.frontImage ?? ((await imageExists(officialFrontImage, site.env)) ? officialFrontImage : await localFrontTag(site.env, site.words.frontImage))
    return { image, why: site.frontImage ? site.words.frontImage : 'the front image this host has or builds', imageId: await imageId(image, site.env), configDigest }
  }
  const choice = await chooseFrontImage({ configured: site.frontImage, setting: site.words.frontImage, env: site.env, progress: site.progress })
  const id = await imageId(choice.image, site.env)
  if (!id) throw new ConfigError(`the front image ${choice.image} (${choice.why}) is not on this host: pull or build it, or set ${site.words.frontImage} to an haproxy image this host has`)
  return { ...choice, imageId: id, configDigest }
}

async function imageId(image: string, env: Env): Promise<string | null> {
  const found = await docker(imageInspectArgs(image, '{{.Id}}'), { env, allowFailure: true })
  return found.code === 0 ? found.stdout.trim() : null
}

/** Start a front container from the one definition and wait for its own admin socket. */
export async function startFront(site: FrontSite, f: { image: string; configDigest: string; takeFrom?: string; containerName?: string }): Promise<{ id: string; name: string; socket: string }> {
  const id = newFrontId()
  const spec = frontContainer({ name: site.name, image: f.image, sfHome: site.home, id, takeFrom: f.takeFrom, configDigest: f.configDigest, containerName: f.containerName })
  const done = site.progress.phase(`start ${spec.name} on ${f.image}${f.takeFrom ? ', taking the listeners over' : ''}`)
  await docker(runDetachedArgs(spec), { env: site.env })
  const socket = path.join(frontDir(site.home, site.name), frontSocketFile(id))
  await waitForSocket(socket, 15_000, spec.name)
  done()
  return { id, name: spec.name, socket }
}

/**
 * The first front of a site (none runs yet): its holder, its config for `active`, the front itself.
 * A front that exists is replaced or put right by lib/front/replace.ts, never here.
 */
export async function createFront(site: FrontSite, wanted: WantedFront, active: Slot | null): Promise<void> {
  await ensurePortHolder(site, wanted.image)
  await writeFrontConfig(site, active)
  const started = await startFront(site, wanted)
  await linkFrontSocket(site, started.id)
}

/** Wait until `socket` answers show info; deadline in ms. Then the slots it reports. */
export async function waitForSocket(socket: string, deadlineMs: number, container: string): Promise<SlotState[]> {
  const deadline = Date.now() + deadlineMs
  let last = ''
  for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
    try {
      if ((await frontCommand(socket, 'show info', 2000)).includes('Name: HAProxy')) return await readSlots(socket)
    } catch (error) {
      last = (error as Error).message
    }
    if (Date.now() > deadline) throw new ProbeError(`the front's admin socket ${socket} did not answer within ${deadlineMs} ms (${last}); see docker logs ${container}`)
    await new Promise((r) => setTimeout(r, wait))
  }
}
