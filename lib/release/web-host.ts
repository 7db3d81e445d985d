// The staged web host: each build is copied into its own folder under dist/web/builds/<buildId> and
// never written again; dist/web/standalone is a symlink to the current one, swapped atomically, so a
// later build never touches the files a running server was started from.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { z } from 'zod'
import { digestTree } from './content-digest.ts'
import { BuildError } from '../errors.ts'
import { gitState } from '../git.ts'
import { distPaths, webPaths } from '../paths.ts'
import type { Progress } from '../progress.ts'
import { run } from '../run.ts'
import type { Env } from '../env.ts'

/** What a build records about itself, next to the server folder it staged. */
export const stagedBuildSchema = z.object({
  buildId: z.string().min(1),
  builtAt: z.iso.datetime(),
  git: z.object({ commit: z.string().regex(/^[0-9a-f]{40}$/), dirty: z.boolean() }),
  digest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
})
export type StagedBuild = z.infer<typeof stagedBuildSchema> & { dir: string; serverJs: string }

const recordName = 'sf-web-host.json'
/** The record is written after the digest is taken, so the digest leaves it out. */
const notDigested = (relative: string) => relative === recordName

export async function buildWebHost(options: { root: string; env: Env; progress: Progress }): Promise<StagedBuild> {
  const { root, env, progress } = options
  const web = webPaths(root)
  const dist = distPaths(root)
  const nextBin = path.join(web.nodeModules, 'next', 'dist', 'bin', 'next')
  if (!existsSync(nextBin)) {
    throw new BuildError(`web dependencies are missing (${path.relative(root, nextBin)} not found): run npm --prefix web ci`)
  }

  const git = await gitState(root)
  const builtAt = new Date()
  const buildId = `${builtAt.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${git.commit.slice(0, 12)}-${randomBytes(2).toString('hex')}`

  let done = progress.phase(`next build ${buildId}`)
  await run(process.execPath, [nextBin, 'build'], {
    cwd: web.web,
    env: { ...env, SF_WEB_BUILD_ID: buildId, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
    onLine: (line) => line.trim() && progress.note(line.trimEnd()),
  })
  const nextBuildId = (await fs.readFile(path.join(web.next, 'BUILD_ID'), 'utf8')).trim()
  if (nextBuildId !== buildId) throw new BuildError(`next build wrote build id ${nextBuildId}, expected ${buildId}: is web/next.config.ts's generateBuildId intact?`)
  done()

  done = progress.phase('stage standalone server')
  const appDir = path.relative(root, web.web) // standalone mirrors the path from the repo root
  const standalone = path.join(web.next, 'standalone')
  if (!existsSync(path.join(standalone, appDir, 'server.js'))) {
    throw new BuildError(`next build left no ${path.join('web/.next/standalone', appDir, 'server.js')}: is output: 'standalone' set in web/next.config.ts?`)
  }
  const final = path.join(dist.webBuilds, buildId)
  const temp = path.join(dist.webBuilds, `.tmp-${buildId}`)
  await fs.mkdir(dist.webBuilds, { recursive: true })
  await fs.cp(standalone, temp, { recursive: true, verbatimSymlinks: true })
  await fs.cp(path.join(web.next, 'static'), path.join(temp, appDir, '.next', 'static'), { recursive: true })
  if (existsSync(web.public)) await fs.cp(web.public, path.join(temp, appDir, 'public'), { recursive: true })
  const digest = await digestTree(temp, notDigested)
  const record = { buildId, builtAt: builtAt.toISOString(), git, digest }
  await fs.writeFile(path.join(temp, recordName), JSON.stringify(record, null, 2) + '\n')
  await fs.rename(temp, final)
  await pointAt(dist.webStandalone, path.join('builds', buildId, appDir))
  done(path.relative(root, final))
  return { ...record, dir: final, serverJs: path.join(final, appDir, 'server.js') }
}

/**
 * Remember where dist/web/standalone and dist/sf-release-manifest.json point now; the returned
 * function puts both back (an upgrade whose new build was refused leaves the checkout as it found it).
 */
export async function rememberCurrentBuild(root: string): Promise<() => Promise<void>> {
  const dist = distPaths(root)
  const target = await fs.readlink(dist.webStandalone).catch(() => null)
  const manifest = await fs.readFile(dist.manifest, 'utf8').catch(() => null)
  return async () => {
    if (target !== null) await pointAt(dist.webStandalone, target)
    if (manifest !== null) {
      await fs.writeFile(`${dist.manifest}.tmp-${process.pid}`, manifest)
      await fs.rename(`${dist.manifest}.tmp-${process.pid}`, dist.manifest)
    }
  }
}

/** Swap the `standalone` symlink to `target` in one rename. */
async function pointAt(link: string, target: string): Promise<void> {
  const stat = await fs.lstat(link).catch(() => null)
  if (stat && !stat.isSymbolicLink()) {
    throw new BuildError(`${link} is a real folder, not the link this build swaps: move it away (it may be an older layout), then build again`)
  }
  const temp = `${link}.tmp-${process.pid}`
  await fs.rm(temp, { force: true })
  await fs.symlink(target, temp)
  await fs.rename(temp, link)
}

/**
 * The build `standalone` points at, with its record checked against the files on disk.
 * `link` is dist/web/standalone (also inside an image, where the root is /opt/sf).
 */
export async function currentWebHost(link: string, options: { verifyDigest: boolean }): Promise<StagedBuild> {
  let serverDir: string
  try {
    serverDir = await fs.realpath(link)
  } catch {
    throw new BuildError(`no staged web host at ${link}: run npm run build:web-host`)
  }
  const buildDir = path.dirname(serverDir)
  const recordFile = path.join(buildDir, recordName)
  let record: z.infer<typeof stagedBuildSchema>
  try {
    record = stagedBuildSchema.parse(JSON.parse(await fs.readFile(recordFile, 'utf8')))
  } catch (error) {
    throw new BuildError(`${recordFile} is missing or invalid (${(error as Error).message.split('\n')[0]}): run npm run build:web-host`)
  }
  if (options.verifyDigest) {
    const digest = await digestTree(buildDir, notDigested)
    if (digest !== record.digest) {
      throw new BuildError(`the staged web host ${buildDir} changed after it was built (digest ${digest}, recorded ${record.digest}): run npm run build:web-host`)
    }
  }
  return { ...record, dir: buildDir, serverJs: path.join(serverDir, 'server.js') }
}
