// npm run bench:controller: what the pull model costs on this machine (issue 17). For 1, 2 and 4 docker
// hosts of prod, each with its own controller container: the time from `promote --wait` to every host
// serving the digest (the first rollout, which creates the fronts, and then one of another good
// digest), and where it went (the wait for the next check, the rollout). Then the idle controller's
// cost per check: registry requests and CPU by its own count and counted independently (the registry's
// access log, /proc of its process), and its memory. It measures and records; it asserts no times.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import type { HostReport } from '../authority/fleet.ts'
import { digestIn, testedTag } from '../authority/image-ref.ts'
import { RegistryClient } from '../authority/registry-api.ts'
import { buildControllerImage } from '../controller/image.ts'
import { controllerName } from '../controller/setup.ts'
import { imageInspectArgs, pushArgs, removeImagesArgs, tagArgs } from '../docker/args.ts'
import { buildImage, docker, engineAnswers } from '../docker/engine.ts'
import { buildFrontImage } from '../docker/front-image.ts'
import type { Env } from '../env.ts'
import { DockerError } from '../errors.ts'
import { distPaths } from '../paths.ts'
import type { Progress } from '../progress.ts'
import { readManifest } from '../release/manifest.ts'
import { run, type RunResult } from '../run.ts'
import type { ControllerState } from '../server/controller-state.ts'
import { idleFigures, procCpuTicks, procRssKiB, rolloutShares, spread, type IdleFigures, type ProcSample, type RolloutShare, type Spread } from './controller-figures.ts'
import { createFleet, type BenchFleet } from './controller-fleet.ts'
import { BenchError } from './errors.ts'
import { machine, writeResult } from './record.ts'
import { accessLog, startRegistry, type LocalRegistry } from './registry.ts'
import { localBase } from './sandbox.ts'

export interface ControllerBenchOptions {
  root: string
  env: Env
  progress: Progress
  /** The fleets' sizes, measured in this order. */
  hosts: number[]
  /** The headline fleets' SF_CONTROLLER_INTERVAL (the default, 15). */
  intervalS: number
  /** A one-host fleet with this short interval as well, which shows the rollout without most of the wait; null: none. */
  fastIntervalS: number | null
  /** Idle checks watched, on the fast fleet (else the first). */
  idleChecks: number
  resultsDir: string
  signal?: AbortSignal
}

export const controllerBenchDefaults = { hosts: [1, 2, 4], intervalS: 15, fastIntervalS: 2, idleChecks: 20 } as const

export interface RolloutFigures {
  digest: string
  /** promote --wait, from the command's start to its exit. */
  promoteWallS: number
  /** Each host's seconds in promote's table: from the channel's move until it served the digest. */
  hostSeconds: Spread
  hosts: { name: string; seconds: number | null }[]
  /** Against promote's start, from each controller's lastRollout. */
  shares: RolloutShare[]
  untilRolloutS: Spread
  rolloutS: Spread
}

export interface FleetFigures {
  label: string
  hosts: number
  intervalS: number
  /** The first rollout: the channel named nothing, so it creates each host's front and server. */
  first: RolloutFigures
  /** Another good digest, onto hosts that serve: the figure the pull model is judged by. */
  next: RolloutFigures
}

export interface ControllerBenchResult {
  benchmark: 'controller'
  at: string
  machine: Record<string, unknown>
  method: Record<string, unknown>
  fleets: FleetFigures[]
  idle: (IdleFigures & { fleet: string; intervalS: number }) | null
  loadAverageAtEnd: number[]
}

interface Images {
  base: string
  front: string
  controller: string
  /** The image docker:build made and publish-image pushed (A), and one FROM it with a label of its own (B). */
  a: string
  b: string
  /** Everything to remove afterwards: tags and image ids. */
  made: string[]
}

const promoteTimeoutS = 600

export async function benchController(o: ControllerBenchOptions): Promise<{ file: string; result: ControllerBenchResult }> {
  const engine = await engineAnswers(o.env)
  if (!engine.ok) throw new DockerError(engine.reason)
  const dist = distPaths(o.root)
  const manifest = readManifest(dist.manifest)
  if (!manifest) throw new BenchError(`${dist.manifest} is missing: run npm run build:core, npm run build:web-host and npm run write-manifest first`)
  const at = new Date()
  // Read now: its load average is the one at the start.
  const host = machine(engine.version)
  const id = randomBytes(3).toString('hex')
  // Short: the fronts' admin sockets live under it, and a socket path has room for 107 bytes.
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'sfb-'))
  // publish-image writes its tag and digest into the manifests; they are put back as they were.
  const saved = new Map<string, string>()
  for (const file of [dist.manifest, path.join(dist.releases, `${manifest.webHost.buildId}.json`)]) saved.set(file, await fs.readFile(file, 'utf8'))
  let registry: LocalRegistry | null = null
  const images: Images = { base: '', front: `sf-bench-haproxy:c${id}`, controller: `sf-bench-controller:${id}`, a: `sf-bench-server:c${id}`, b: `sf-bench-server:c${id}-b`, made: [] }
  try {
    let done = o.progress.phase('start a registry (docker-registry on 127.0.0.1)')
    registry = await startRegistry(path.join(scratch, 'registry'))
    done(registry.address)
    await prepareImages(o, images, `${registry.address}/sf-bench-${id}`)
    const fleets: FleetFigures[] = []
    let idle: ControllerBenchResult['idle'] = null
    const plan = [
      ...o.hosts.map((count) => ({ label: `n${count}`, count, intervalS: o.intervalS })),
      ...(o.fastIntervalS === null ? [] : [{ label: `n1i${o.fastIntervalS}`, count: 1, intervalS: o.fastIntervalS }]),
    ]
    const idleOn = plan.at(-1)!.label === `n1i${o.fastIntervalS}` ? plan.at(-1)! : plan[0]!
    for (const step of plan) {
      o.signal?.throwIfAborted()
      const dir = path.join(scratch, step.label)
      const fleet = await createFleet({ dir, ...step, namePrefix: `sfb${id}`, registry: `${registry.address}/sf-bench-${id}/${step.label}`, frontImage: images.front, baseImage: images.base, engineEnv: o.env })
      const measured = await withFleet(o, fleet, async () => {
        const digests = await publishTo(o, images, fleet.env.SF_REGISTRY!)
        await installControllers(o, fleet, images.controller)
        const first = await timedPromote(o, fleet, digests.a, 'first rollout: creates the fronts')
        const next = await timedPromote(o, fleet, digests.b, 'another good digest')
        const figures: FleetFigures = { label: fleet.label, hosts: fleet.hosts.length, intervalS: fleet.intervalS, first, next }
        return { figures, idle: step === idleOn ? await measureIdle(o, fleet, registry!) : null }
      })
      fleets.push(measured.figures)
      if (measured.idle) idle = { fleet: fleet.label, intervalS: fleet.intervalS, ...measured.idle }
    }
    const result: ControllerBenchResult = {
      benchmark: 'controller',
      at: at.toISOString(),
      machine: host,
      method: method(o),
      fleets,
      idle,
      loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    }
    return { file: await writeResult(o.resultsDir, 'controller', at, result), result }
  } finally {
    const done = o.progress.phase('remove the images, the registry and the folders')
    await docker(removeImagesArgs(images.made), { env: o.env, allowFailure: true }).catch(() => undefined)
    await registry?.stop().catch(() => undefined)
    for (const [file, text] of saved) await fs.writeFile(file, text)
    await fs.rm(scratch, { recursive: true, force: true }).catch(() => undefined)
    done()
  }
}

/** The base, the front image, A through npm run docker:build and publish-image, B FROM it, and the controller's image. */
async function prepareImages(o: ControllerBenchOptions, images: Images, publishRegistry: string): Promise<void> {
  images.base = await localBase(o.env, o.progress)
  images.made.push(images.front)
  await buildFrontImage({ tag: images.front, env: o.env, progress: o.progress, labels: { 'sf.bench': 'controller' } })
  let done = o.progress.phase(`npm run docker:build -- --tag ${images.a}`)
  images.made.push(images.a)
  const built = await npmScript(o, 'docker:build', ['--tag', images.a], { SF_BASE_IMAGE: images.base }, false)
  images.made.push((JSON.parse(built.stdout) as { imageId: string }).imageId)
  done()
  done = o.progress.phase(`npm run publish-image -- --tag ${images.a}`)
  const published = await npmScript(o, 'publish-image', ['--tag', images.a], { SF_REGISTRY: publishRegistry, SF_BASE_IMAGE: images.base }, false)
  const a = (JSON.parse(published.stdout) as { ref: string; digest: string })
  images.made.push(a.ref)
  done(a.digest)
  done = o.progress.phase(`build ${images.b}: FROM ${images.a} with a label of its own`)
  const context = await fs.mkdtemp(path.join(os.tmpdir(), 'sfb-variant-'))
  try {
    await fs.writeFile(path.join(context, 'Dockerfile'), `FROM ${images.a}\n`)
    images.made.unshift(images.b)
    await buildImage({ dockerfile: path.join(context, 'Dockerfile'), context, tag: images.b, buildArgs: {}, labels: { 'sf.bench-controller': 'b' } }, o.env, o.progress)
  } finally {
    await fs.rm(context, { recursive: true, force: true })
  }
  done()
  images.made.unshift(images.controller)
  await buildControllerImage({ root: o.root, env: o.env, progress: o.progress, baseImage: images.base, tag: images.controller })
}

/** A and B pushed to the fleet's own repository, each with the evidence deploy-test records (`tested-<hex>`). */
async function publishTo(o: ControllerBenchOptions, images: Images, registry: string): Promise<{ a: string; b: string }> {
  const repository = `${registry}/sf-server`
  const client = new RegistryClient(repository, { registry })
  const done = o.progress.phase(`push A and B to ${repository}, tested`)
  const push = async (image: string, tag: string) => {
    const ref = `${repository}:${tag}`
    await docker(tagArgs(image, ref), { env: o.env })
    images.made.unshift(ref)
    await docker(pushArgs(ref, { quiet: true }), { env: o.env, signal: o.signal })
    const repoDigests = JSON.parse((await docker(imageInspectArgs(ref, '{{json .RepoDigests}}'), { env: o.env })).stdout) as string[]
    const digest = digestIn(repoDigests, repository)
    if (!digest) throw new BenchError(`docker push ${ref} left no digest of ${repository} on the image`)
    await client.tag(testedTag(digest), digest)
    return digest
  }
  const digests = { a: await push(images.a, 'a'), b: await push(images.b, 'b') }
  done(`A ${digests.a.slice(0, 19)}, B ${digests.b.slice(0, 19)}`)
  return digests
}

/** Run `body` with the fleet; it is removed afterwards, and at once when the run is interrupted. */
async function withFleet<T>(o: ControllerBenchOptions, fleet: BenchFleet, body: () => Promise<T>): Promise<T> {
  const interrupt = () => void fleet.cleanup()
  o.signal?.addEventListener('abort', interrupt, { once: true })
  try {
    return await body()
  } finally {
    o.signal?.removeEventListener('abort', interrupt)
    const done = o.progress.phase(`${fleet.label}: remove its hosts, controllers, networks, volumes and folders`)
    await fleet.cleanup()
    done()
  }
}

async function installControllers(o: ControllerBenchOptions, fleet: BenchFleet, image: string): Promise<void> {
  for (const [i, h] of fleet.hosts.entries()) {
    const done = o.progress.phase(`${fleet.label}: npm run controller:install -- --target prod.${i} (every ${fleet.intervalS} s)`)
    const installed = await npmScript(o, 'controller:install', ['--target', `prod.${i}`, '--image', image], fleet.env, false)
    done(`${controllerName(h.name)}: ${installed.stdout.split('\n').find((l) => l.trim().startsWith('last check'))?.trim() ?? 'installed'}`)
  }
}

/** promote --wait from its start to its exit, then where each host's time went (its controller's last rollout). */
async function timedPromote(o: ControllerBenchOptions, fleet: BenchFleet, digest: string, what: string): Promise<RolloutFigures> {
  const done = o.progress.phase(`${fleet.label}: npm run promote -- --digest ${digest.slice(0, 19)} --wait (${what})`)
  const started = Date.now()
  const promoted = await npmScript(o, 'promote', ['--digest', digest, '--wait', '--wait-timeout', String(promoteTimeoutS)], fleet.env, true)
  const promoteWallS = Math.round((Date.now() - started) / 100) / 10
  const reports = (JSON.parse(promoted.stdout) as { hosts?: HostReport[] }).hosts ?? []
  if (reports.length !== fleet.hosts.length) throw new BenchError(`promote's table has ${reports.length} hosts, the fleet ${fleet.hosts.length}: ${promoted.stdout}`)
  // Each controller records its rollout after the settle window, which may end after promote saw the host serve.
  const states = await untilStates(o, fleet, `every controller of ${fleet.label} to record its rollout of ${digest.slice(0, 19)}`, (s) => s.lastRollout?.digest === digest, 180_000)
  const failed = states.filter((s) => s.lastRollout!.outcome !== 'upgraded')
  if (failed.length) throw new BenchError(`${failed.map((s) => `${s.target}: ${s.lastRollout!.outcome}: ${s.lastRollout!.message}`).join('\n')}`)
  const shares = rolloutShares(started, states)
  const figures: RolloutFigures = {
    digest,
    promoteWallS,
    hostSeconds: spread(reports.map((r) => r.seconds ?? 0)),
    hosts: reports.map((r) => ({ name: r.name, seconds: r.seconds })),
    shares,
    untilRolloutS: spread(shares.map((s) => s.untilRolloutS)),
    rolloutS: spread(shares.map((s) => s.rolloutS)),
  }
  done(`promote ${promoteWallS} s; hosts served after ${figures.hostSeconds.min}-${figures.hostSeconds.max} s; rollout started after ${figures.untilRolloutS.median} s, took ${figures.rolloutS.median} s (medians)`)
  return figures
}

/**
 * Nothing to do: every host serves the channel's digest. From just after a check of the first host,
 * until each host made `idleChecks` more, the controllers' own counts (lastCheck), the registry's
 * access log and /proc of each controller's process (a host pid: it runs in the host's pid namespace).
 */
async function measureIdle(o: ControllerBenchOptions, fleet: BenchFleet, registry: LocalRegistry): Promise<IdleFigures> {
  const done = o.progress.phase(`${fleet.label}: watch ${o.idleChecks} idle checks of each controller (every ${fleet.intervalS} s)`)
  const deadlineMs = (o.idleChecks + 2) * fleet.intervalS * 1000 * 1.3 + 30_000
  await untilStates(o, fleet, 'every controller to find nothing to do', (s) => s.lastCheck?.outcome === 'serves prod' && s.rolling === null, 120_000)
  const atStart = fleet.states()[0]!.lastCheck!.at
  await untilStates(o, fleet, 'the first controller to check again', (s) => s.target !== fleet.hosts[0]!.name || s.lastCheck!.at !== atStart, deadlineMs)
  const pids = await Promise.all(fleet.hosts.map((h) => controllerPid(o, controllerName(h.name))))
  const before = await Promise.all(pids.map(readProc))
  const logFrom = registry.output().length
  const started = performance.now()
  const seen = fleet.hosts.map(() => new Map<string, NonNullable<ControllerState['lastCheck']>>())
  const last = fleet.states().map((s) => s!.lastCheck!.at)
  await untilStates(o, fleet, `${o.idleChecks} idle checks of each controller`, (s) => {
    const i = fleet.hosts.findIndex((h) => h.name === s.target)
    if (s.lastCheck && s.lastCheck.at !== last[i] && seen[i]!.size < o.idleChecks) seen[i]!.set(s.lastCheck.at, s.lastCheck)
    return seen[i]!.size >= o.idleChecks
  }, deadlineMs, 100)
  const after = await Promise.all(pids.map(readProc))
  const windowS = (performance.now() - started) / 1000
  const clockTicks = Number((await run('getconf', ['CLK_TCK'])).stdout.trim())
  const figures = idleFigures({
    checks: seen.flatMap((m) => [...m.values()]),
    proc: before.map((b, i) => ({ before: b, after: after[i]! })),
    clockTicksPerSecond: clockTicks,
    loggedRequests: accessLog(registry.output().slice(logFrom)).length,
    windowS,
  })
  done(`${figures.requestsPerCheck.byState.median} request (log: ${figures.requestsPerCheck.byRegistryLog}) and ${figures.cpuMsPerCheck.byState.median} ms CPU (proc: ${figures.cpuMsPerCheck.byProc} ms) a check; RSS ${figures.rssMiB.end.median} MiB`)
  return figures
}

async function controllerPid(o: ControllerBenchOptions, container: string): Promise<number> {
  const pid = Number((await docker(['container', 'inspect', '--format', '{{.State.Pid}}', container], { env: o.env })).stdout.trim())
  if (!Number.isInteger(pid) || pid <= 0) throw new BenchError(`${container} has no process (pid ${pid}): see docker logs ${container}`)
  return pid
}

async function readProc(pid: number): Promise<ProcSample> {
  const [stat, status] = await Promise.all([fs.readFile(`/proc/${pid}/stat`, 'utf8'), fs.readFile(`/proc/${pid}/status`, 'utf8')])
  return { cpuTicks: procCpuTicks(stat), rssKiB: procRssKiB(status) }
}

/** Every host's state once `ok` holds for each, polled every `everyMs`; a BenchError with their last checks at the deadline. */
async function untilStates(o: ControllerBenchOptions, fleet: BenchFleet, what: string, ok: (s: ControllerState) => boolean, deadlineMs: number, everyMs = 250): Promise<ControllerState[]> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    o.signal?.throwIfAborted()
    const states = fleet.states()
    // Each host's state is judged every time, so a predicate that counts sees every one.
    const judged = states.map((s) => s !== null && ok(s))
    if (judged.every(Boolean)) return states as ControllerState[]
    if (Date.now() > deadline) {
      const last = states.map((s, i) => `${fleet.hosts[i]!.name}: ${s?.lastCheck ? `${s.lastCheck.at} ${s.lastCheck.outcome}` : 'no check yet'}`)
      throw new BenchError(`gave up waiting for ${what} after ${Math.round(deadlineMs / 1000)} s:\n  ${last.join('\n  ')}\nsee docker logs ${controllerName(fleet.hosts[0]!.name)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}

/** npm run <script> as a person would run it, with the fleet's variables over the environment; `echo`: its progress lines as notes. */
async function npmScript(o: ControllerBenchOptions, script: string, args: string[], env: Record<string, string>, echo: boolean): Promise<RunResult> {
  const result = await run('npm', ['run', '--silent', script, '--', ...args], {
    cwd: o.root,
    env: { ...o.env, ...env },
    signal: o.signal,
    allowFailure: true,
    onLine: echo ? (line, stream) => void (stream === 'stderr' && line.trim() && o.progress.note(line.trimEnd())) : undefined,
  })
  if (result.code !== 0) throw new BenchError(`npm run ${script} -- ${args.join(' ')} exited with ${result.code}:\n${result.stderr.trim().split('\n').slice(-15).join('\n')}`)
  return result
}

function method(o: ControllerBenchOptions): Record<string, unknown> {
  return {
    fleets: `for each size in ${JSON.stringify(o.hosts)} (SF_CONTROLLER_INTERVAL ${o.intervalS})${o.fastIntervalS === null ? '' : `, then one host with SF_CONTROLLER_INTERVAL ${o.fastIntervalS}`}: that many docker targets of prod on this engine (per-run names, free loopback ports, an SF_HOME and a registry repository of their own), each with its controller container installed by npm run controller:install --image (one image of this checkout); fleets run one after the other, each removed before the next`,
    images: 'A: npm run docker:build on the local base, pushed by npm run publish-image; B: FROM A with one label more (a digest of its own, the same build); both pushed to each fleet\'s repository with the evidence tested-<hex> recorded in the registry',
    first: 'npm run promote -- --digest A --wait: the channel prod named nothing, so each controller creates its host\'s front and server',
    next: 'npm run promote -- --digest B --wait onto hosts serving A: the figure of a release',
    promoteWallS: 'from spawning npm run promote to its exit (npm and tsx start, the checks before anything moves, the channel\'s move, the wait)',
    hostSeconds: "promote's table (hosts[].seconds): from the channel's move until the host's /api/version named the digest, polled every second",
    shares: "each controller's lastRollout against promote's start: untilRolloutS is promote's start to startedAt (the wait for the next check, up to one interval plus 20% jitter, then the HEAD, the evidence, the image's labels and the pull), rolloutS is startedAt to finishedAt (candidate, probes, switch, settle window; the host serves from the switch on, so before finishedAt)",
    idle: `${o.idleChecks} checks of each controller on the ${o.fastIntervalS === null ? 'first' : `one-host, ${o.fastIntervalS} s`} fleet with nothing to do, from just after a check: requests and CPU by the controller's own lastCheck, requests counted by the registry's access log over the window, CPU by utime+stime of /proc/<pid>/stat of the controller's node process (a host pid: the container shares the host's pid namespace) over the window divided by the checks (so the waits between checks are included), VmRSS of /proc/<pid>/status at the window's start and end`,
    machineLoad: 'the engine and the CPUs are shared with other work: the load average is recorded at the start and the end',
  }
}
