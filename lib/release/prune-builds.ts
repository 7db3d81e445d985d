// Staged builds are immutable and each is about 40 MB, so old ones must go, but never one that
// something may still run or roll back to. A build is kept when it is among the newest `keep`, is
// what dist/web/standalone points at, is the working folder of a process on this host, is named by
// a container (running or kept aside), or is a release that SF_HOME records for rollback. The last
// two are facts of the deployment, so lib/vega/prune.ts gathers them and passes them in as pins.
import fs from 'node:fs/promises'
import path from 'node:path'
import { distPaths } from '../paths.ts'

export interface PrunePlan {
  keep: { buildId: string; why: string[] }[]
  remove: string[]
}

export interface PruneFacts {
  builds: string[]
  current: string | null
  inUseByProcesses: Set<string>
  /** Unknown when the containers could not be listed: then any build may be pinned, and every one is kept. */
  inUseByContainers: Set<string> | { unknown: string }
  recordedReleases: Set<string>
}

/** Which builds to keep (with every reason) and which to remove. Pure. */
export function planPrune(facts: PruneFacts, keepNewest: number): PrunePlan {
  // Build ids start with their UTC build time, so they sort by age.
  const newest = new Set([...facts.builds].sort().reverse().slice(0, keepNewest))
  const plan: PrunePlan = { keep: [], remove: [] }
  for (const id of [...facts.builds].sort()) {
    const why = [
      newest.has(id) && `among the newest ${keepNewest}`,
      facts.current === id && 'dist/web/standalone points at it',
      facts.inUseByProcesses.has(id) && 'a process on this host runs from it',
      pinnedByContainer(facts.inUseByContainers, id),
      facts.recordedReleases.has(id) && 'a recorded release (for rollback)',
    ].filter((w): w is string => typeof w === 'string')
    if (why.length) plan.keep.push({ buildId: id, why })
    else plan.remove.push(id)
  }
  return plan
}

function pinnedByContainer(pins: PruneFacts['inUseByContainers'], id: string): string | false {
  if (pins instanceof Set) return pins.has(id) && 'a container is pinned to it'
  return `containers could not be listed (${pins.unknown}), so any may be pinned to it`
}

/** Builds that something outside this checkout holds on to: containers, and recorded releases. */
export type PrunePins = Pick<PruneFacts, 'inUseByContainers' | 'recordedReleases'>

export async function gatherPruneFacts(root: string, pins: PrunePins): Promise<PruneFacts> {
  const dist = distPaths(root)
  const entries = await fs.readdir(dist.webBuilds, { withFileTypes: true }).catch(() => [])
  const builds = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name)
  const current = await fs.realpath(dist.webStandalone).then((p) => path.basename(path.dirname(p)), () => null)
  return { builds, current, inUseByProcesses: await buildsInUseByProcesses(), ...pins }
}

/** Build ids in the working folders of this host's processes (a web host runs from its build). */
export async function buildsInUseByProcesses(proc = '/proc'): Promise<Set<string>> {
  const ids = new Set<string>()
  for (const pid of await fs.readdir(proc).catch(() => [])) {
    if (!/^\d+$/.test(pid)) continue
    const cwd = await fs.readlink(path.join(proc, pid, 'cwd')).catch(() => '')
    const match = /\/dist\/web\/builds\/([^/]+)(\/|$)/.exec(cwd)
    if (match?.[1]) ids.add(match[1])
  }
  return ids
}

/** Remove the builds the plan names, with their release manifests. */
export async function removeBuilds(root: string, ids: string[]): Promise<void> {
  const dist = distPaths(root)
  for (const id of ids) {
    await fs.rm(path.join(dist.webBuilds, id), { recursive: true, force: true })
    await fs.rm(path.join(dist.releases, `${id}.json`), { force: true })
  }
}

/** Gather, plan and (unless a dry run) remove. */
export async function pruneStagedBuilds(o: { root: string; pins: PrunePins; keep: number; dryRun?: boolean }): Promise<PrunePlan> {
  const plan = planPrune(await gatherPruneFacts(o.root, o.pins), o.keep)
  if (!o.dryRun) {
    await removeBuilds(o.root, plan.remove)
    await removeUnusedLoaders(o.root)
  }
  return plan
}

/** dist/loader-<hash>.js files that no release manifest left in dist/ names any more. */
async function removeUnusedLoaders(root: string): Promise<void> {
  const dist = distPaths(root)
  const manifests = [dist.manifest, ...(await fs.readdir(dist.releases).catch(() => [])).map((f) => path.join(dist.releases, f))]
  const named = new Set<string>()
  for (const file of manifests) {
    const loader = await fs.readFile(file, 'utf8').then((t) => (JSON.parse(t) as { loader?: unknown }).loader, () => undefined)
    if (typeof loader === 'string') named.add(loader)
  }
  for (const file of await fs.readdir(dist.dist).catch(() => [])) {
    if (/^loader-[0-9a-f]{12}\.js$/.test(file) && !named.has(file)) await fs.rm(path.join(dist.dist, file), { force: true })
  }
}
