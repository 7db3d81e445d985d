// npm start: the embedded default, no Docker. Build what is missing, then run the loader on
// SF_WEB_HOST:SF_WEB_PORT (127.0.0.1:4000) with SF_WORKSPACE_DIR (this checkout) as the workspace.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { buildCore } from '../release/loader-bundle.ts'
import { loadEnv, readConfig, type Env } from '../env.ts'
import { readManifest } from '../release/manifest.ts'
import { distPaths, webPaths } from '../paths.ts'
import type { Progress } from '../progress.ts'
import { writeReleaseManifest } from '../release/write-manifest.ts'
import { run } from '../run.ts'
import { buildWebHost, currentWebHost } from '../release/web-host.ts'

/** `npm --prefix web ci` when web/node_modules has no Next. */
export async function ensureWebDependencies(root: string, env: Env, progress: Progress): Promise<void> {
  const web = webPaths(root)
  if (existsSync(path.join(web.nodeModules, 'next'))) return
  const done = progress.phase('install web dependencies (npm --prefix web ci)')
  await run('npm', ['--prefix', web.web, 'ci', '--no-audit', '--no-fund'], { cwd: root, env })
  done()
}

/** Build whatever the loader needs and is missing; each step is one progress phase. */
export async function ensureBuilt(root: string, env: Env, progress: Progress): Promise<void> {
  const dist = distPaths(root)
  await ensureWebDependencies(root, env, progress)
  if (!existsSync(dist.loader)) {
    const done = progress.phase('bundle dist/loader.js')
    await buildCore(root)
    done()
  }
  const host = await currentWebHost(dist.webStandalone, { verifyDigest: false }).catch(() => null)
  const buildId = host?.buildId ?? (await buildWebHost({ root, env, progress })).buildId
  if (readManifest(dist.manifest)?.webHost.buildId !== buildId) {
    const done = progress.phase('write dist/sf-release-manifest.json')
    await writeReleaseManifest({ root, image: { tag: null, digest: null } })
    done()
  }
}

export async function start(root: string, env: Env, progress: Progress): Promise<number> {
  // Refuse bad configuration before building anything.
  const config = readConfig(loadEnv(env, root), { checkout: root })
  await ensureBuilt(root, env, progress)
  const child = spawn(process.execPath, [distPaths(root).loader, 'server', config.SF_WORKSPACE_DIR], {
    cwd: root,
    env: env as NodeJS.ProcessEnv,
    stdio: 'inherit',
  })
  // A terminal's Ctrl-C reaches the loader directly (same process group); forwarding it as well would
  // count as a second Ctrl-C. Other signals come only to us.
  process.on('SIGINT', () => {})
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal))
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))))
}
