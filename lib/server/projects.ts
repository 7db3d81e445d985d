// Project enumeration for /api/projects: the workspace, and the repos under the workspaces dir, found
// three ways (the root itself, each entry, nested SF projects). Nothing outside the configured roots
// is listed, whatever a symlink says; a folder that cannot be read is reported and skipped. The walk
// is bounded (each real folder once, a cap on folders and on time), since anyone may ask for it, and
// so is the answer (a cap on what is listed, with how many more there were).
//
// A file name is bytes, not always UTF-8. Paths are carried as one character per byte (latin1), so
// every name reaches the file system as it is, and are decoded, lossily, only to be shown.
import fs from 'node:fs/promises'
import path from 'node:path'
import { isInside } from '../paths.ts'

export type ProjectKind = 'git' | 'sf'
export type DiscoveredVia = 'root' | 'entry' | 'nested'

export interface Project {
  name: string
  /** The path under the configured root, as the user sees it. */
  path: string
  kind: ProjectKind
  via: DiscoveredVia
  /** Has an .sf folder (SF project state). */
  sf: boolean
  /** This is the workspace the server was started with. */
  current: boolean
}

export interface ProjectListing {
  workspace: { path: string; name: string; git: boolean; sf: boolean }
  workspacesDir: string
  projects: Project[]
  skipped: { path: string; reason: string }[]
  /** What kept the listing from being complete: a missing root, a walk cut short. */
  problems: string[]
}

export interface ListOptions {
  workspaceDir: string
  workspacesDir: string
  /** How deep below an entry nested SF projects are looked for. */
  nestedDepth?: number
  /** Stop after looking at this many folders. */
  maxFolders?: number
  /** Stop after this long. */
  timeLimitMs?: number
  /** List at most this many projects, and as many skipped folders. */
  maxListed?: number
}

export const listingLimits = { maxFolders: 20_000, timeLimitMs: 3000, maxListed: 1000 }

const ignoredDirs = new Set(['node_modules', '.git', '.sf', 'dist', '.next'])

export async function listProjects(options: ListOptions): Promise<ProjectListing> {
  const skipped: ProjectListing['skipped'] = []
  const problems: string[] = []
  const projects: Project[] = []
  const seen = new Set<string>()
  const workspacesDir = bytes(options.workspacesDir)
  const root = await realpath(workspacesDir).catch((error: unknown) => {
    problems.push(`SF_WORKSPACES_DIR ${options.workspacesDir} is ${describe(error)}: restore it, or restart the server with SF_WORKSPACES_DIR set to the folder holding your repos`)
    return null
  })
  const workspaceReal = await realpath(bytes(options.workspaceDir)).catch((error: unknown) => {
    problems.push(`the workspace ${options.workspaceDir} is ${describe(error)}: restore it, or restart the server with another <workspace>`)
    return null
  })
  // In a container the workspace is also mounted under the workspaces dir: same folder, other path.
  const workspaceId = workspaceReal === null ? null : await fileId(workspaceReal).catch(() => null)
  const depth = options.nestedDepth ?? 3
  const maxFolders = options.maxFolders ?? listingLimits.maxFolders
  const timeLimitMs = options.timeLimitMs ?? listingLimits.timeLimitMs
  const started = performance.now()
  let looked = 0
  let cut: string | null = null
  // Every real folder is entered once: links back to a folder already walked (a `.` link in a
  // cloned repo) would otherwise multiply the walk with every level.
  const walked = new Set<string>()
  /** False once the walk has to stop; says why, once. */
  const budgetLeft = (): boolean => {
    if (cut !== null) return false
    const ms = Math.round(performance.now() - started)
    if (looked >= maxFolders) cut = `stopped after looking at ${looked} folders (the limit)`
    else if (ms >= timeLimitMs) cut = `stopped after ${ms} ms (the limit is ${timeLimitMs} ms)`
    else return true
    problems.push(`listing cut short: ${cut}; what lies beyond is not listed`)
    return false
  }

  const add = async (shown: string, real: string, via: DiscoveredVia) => {
    if (seen.has(real)) return
    const marks = await markers(real)
    if (!marks.git && !marks.sf) return
    seen.add(real)
    projects.push({
      name: path.basename(display(shown)),
      path: display(shown),
      kind: marks.git ? 'git' : 'sf',
      via,
      sf: marks.sf,
      current: real === workspaceReal || (workspaceId !== null && (await fileId(real).catch(() => null)) === workspaceId),
    })
  }

  // Resolve a path and keep it only when it stays under the root.
  const inside = async (root: string, shown: string): Promise<string | null> => {
    looked += 1
    try {
      const real = await realpath(shown)
      if (!isInside(root, real)) {
        skipped.push({ path: display(shown), reason: "leads outside SF_WORKSPACES_DIR" })
        return null
      }
      return real
    } catch (error) {
      skipped.push({ path: display(shown), reason: describe(error) })
      return null
    }
  }

  const nested = async (root: string, shown: string, real: string, left: number): Promise<void> => {
    if (left === 0 || walked.has(real)) return
    walked.add(real)
    for (const child of await subdirectories(shown, skipped)) {
      if (!budgetLeft()) return
      const childShown = path.join(shown, child)
      const childReal = await inside(root, childShown)
      if (childReal === null) continue
      if ((await markers(childReal)).sf) await add(childShown, childReal, 'nested')
      await nested(root, childShown, childReal, left - 1)
    }
  }

  if (root !== null) {
    await add(workspacesDir, root, 'root')
    walked.add(root)
    for (const entry of await subdirectories(workspacesDir, skipped)) {
      if (!budgetLeft()) break
      const shown = path.join(workspacesDir, entry)
      const real = await inside(root, shown)
      if (real === null) continue
      await add(shown, real, 'entry')
      await nested(root, shown, real, depth)
    }
  }

  const ws = workspaceReal === null ? { git: false, sf: false } : await markers(workspaceReal)
  const maxListed = options.maxListed ?? listingLimits.maxListed
  return {
    workspace: { path: options.workspaceDir, name: path.basename(options.workspaceDir), git: ws.git, sf: ws.sf },
    workspacesDir: options.workspacesDir,
    projects: firstOf(projects.sort((a, b) => a.path.localeCompare(b.path)), maxListed, ['project', 'projects'], problems),
    skipped: firstOf(skipped, maxListed, ['skipped folder', 'skipped folders'], problems),
    problems,
  }
}

/** The first `max` of `items`; how many more there were goes into `problems`. */
function firstOf<T>(items: T[], max: number, [one, many]: [string, string], problems: string[]): T[] {
  const more = items.length - max
  if (more <= 0) return items
  problems.push(`${more} more ${more === 1 ? one : many} not shown: the listing shows the first ${max}`)
  return items.slice(0, max)
}

/** A path as the file system takes it: one character per byte. */
function bytes(p: string): string {
  return Buffer.from(p, 'utf8').toString('latin1')
}

/** A path as people read it: UTF-8, with U+FFFD for what is not. */
function display(p: string): string {
  return Buffer.from(p, 'latin1').toString('utf8')
}

function onDisk(p: string): Buffer {
  return Buffer.from(p, 'latin1')
}

async function realpath(p: string): Promise<string> {
  return (await fs.realpath(onDisk(p), { encoding: 'buffer' })).toString('latin1')
}

/** Names of the folders (and links to folders) in `dir` worth looking into. */
async function subdirectories(dir: string, skipped: ProjectListing['skipped']): Promise<string[]> {
  let entries: import('node:fs').Dirent<Buffer>[]
  try {
    entries = await fs.readdir(onDisk(dir), { withFileTypes: true, encoding: 'buffer' })
  } catch (error) {
    skipped.push({ path: display(dir), reason: describe(error) })
    return []
  }
  return entries
    .map((e) => ({ e, name: e.name.toString('latin1') }))
    .filter(({ e, name }) => (e.isDirectory() || e.isSymbolicLink()) && !ignoredDirs.has(name))
    .map(({ name }) => name)
    .sort()
}

async function markers(dir: string): Promise<{ git: boolean; sf: boolean }> {
  const [git, sf] = await Promise.all([exists(path.join(dir, '.git')), isDir(path.join(dir, '.sf'))])
  return { git, sf }
}

async function fileId(p: string): Promise<string> {
  const s = await fs.stat(onDisk(p))
  return `${s.dev}:${s.ino}`
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(onDisk(p)).then(
    () => true,
    () => false,
  )
}

async function isDir(p: string): Promise<boolean> {
  return fs.stat(onDisk(p)).then(
    (s) => s.isDirectory(),
    () => false,
  )
}

function describe(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'EACCES' || code === 'EPERM') return 'unreadable (permission denied)'
  if (code === 'ENOENT') return 'missing (a dangling link?)'
  return `unreadable (${code ?? (error as Error).message})`
}
