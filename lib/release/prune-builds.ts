// Staged builds are immutable and each is about 40 MB, so old ones must go, but never one that
// something may still run or roll back to. A build is kept when it is among the newest `keep`, is
// what dist/web/standalone points at, is the working folder of a process on this host, is named by
// a container (running or kept aside), or is a release that SF_HOME records for rollback.
import fs from 'node:fs/promises'
import path from 'node:path'
import { docker } from './docker.ts'
import type { Env } from './env.ts'
import { distPaths } from './paths.ts'
import { readReleases } from './upgrade/releases.ts'

export interface PrunePlan {
  keep: { buildId: string; why: string[] }[]
  remove: string[]
}

export interface PruneFacts {
  builds: string[]
  current: string | null
  inUseByProcesses: Set<string>
  inUseByContainers: Set<string>
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
      facts.inUseByContainers.has(id) && 'a container is pinned to it',
      facts.recordedReleases.has(id) && 'a recorded release (for rollback)',
    ].filter((w): w is string => typeof w === 'string')
    if (why.length) plan.keep.push({ buildId: id, why })
    else plan.remove.push(id)
  }
  return plan
}

export async function gatherPruneFacts(root: string, env: Env, sfHome: string): Promise<PruneFacts> {
  const dist = distPaths(root)
  const entries = await fs.readdir(dist.webBuilds, { withFileTypes: true }).catch(() => [])
  const builds = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name)
  const current = await fs.realpath(dist.webStandalone).then((p) => path.basename(path.dirname(p)), () => null)
  return { builds, current, inUseByProcesses: await buildsInUseByProcesses(), inUseByContainers: await buildsOfContainers(env), recordedReleases: await recordedReleases(sfHome) }
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

/** Build ids named by containers' sf.build-id labels; none when no engine answers. */
async function buildsOfContainers(env: Env): Promise<Set<string>> {
  const listed = await docker(['container', 'ls', '--all', '--filter', 'label=sf.build-id', '--format', '{{.Label "sf.build-id"}}'], { env, allowFailure: true, timeoutMs: 10_000 }).catch(() => null)
  return new Set(listed?.code === 0 ? listed.stdout.split('\n').filter(Boolean) : [])
}

/** Current and previous releases of every vega container SF_HOME knows. */
async function recordedReleases(sfHome: string): Promise<Set<string>> {
  const ids = new Set<string>()
  for (const name of await fs.readdir(path.join(sfHome, 'vega')).catch(() => [])) {
    const r = await readReleases(sfHome, name)
    for (const release of [r.current, r.previous]) if (release) ids.add(release.buildId)
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

/** Gather, plan and (unless a dry run) remove. The deploy scripts run it after a successful change. */
export async function pruneBuilds(o: { root: string; env: Env; sfHome: string; keep: number; dryRun?: boolean }): Promise<PrunePlan> {
  const plan = planPrune(await gatherPruneFacts(o.root, o.env, o.sfHome), o.keep)
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

/** Builds kept after a deploy, beyond those in use: enough to look back, small enough for the disk. */
export const keepAfterDeploy = 5
