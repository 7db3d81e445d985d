// npm run bench:start: how long the build steps take, how long the loader takes from spawn to a ready
// server, and how long docker:vega:up takes from call to ready (when an engine answers). It measures
// and records; it asserts no times.
import { spawn } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { defaultBaseTag } from '../docker/base-image.ts'
import { buildCore } from '../release/loader-bundle.ts'
import { imageInspectArgs, removeImagesArgs } from '../docker/args.ts'
import { docker, engineAnswers } from '../docker/engine.ts'
import { buildSfServerImage } from '../docker/sf-server-image.ts'
import type { Env } from '../env.ts'
import { distPaths } from '../paths.ts'
import { freePort } from '../ports.ts'
import { waitFor } from '../probe.ts'
import type { Progress } from '../progress.ts'
import { writeReleaseManifest } from '../release/write-manifest.ts'
import { vegaContext } from '../vega/context.ts'
import { vegaUp } from '../vega/up.ts'
import { buildWebHost } from '../release/web-host.ts'
import { createSandbox } from './sandbox.ts'

export interface StartFigures {
  buildCoreMs: number
  buildWebHostMs: number[]
  writeManifestMs: number
  /** Spawn of `node dist/loader.js server` to the first 200 from /api/ready, polled every 10-20 ms. */
  loaderReadyMs: number[]
  /** SIGTERM to the loader's exit, idle server. */
  loaderStopMs: number[]
  /** npm run docker:build of the production image, with the layers of the base cached. */
  sfServerImageMs: number | null
  /** docker:vega:up from call to return (it returns once /api/ready and /api/version pass), from nothing, then replacing. */
  vegaUpMs: { fromNothing: number; replacing: number } | null
  imageSizesMb: Record<string, number>
}

export async function benchStart(o: { root: string; env: Env; progress: Progress; runs: number }): Promise<StartFigures> {
  const time = async (what: string, body: () => Promise<unknown>) => {
    const done = o.progress.phase(what)
    const started = performance.now()
    await body()
    const ms = Math.round(performance.now() - started)
    done(`${ms} ms`)
    return ms
  }
  const buildCoreMs = await time('build:core', () => buildCore(o.root))
  const buildWebHostMs = [
    await time('build:web-host (1)', () => buildWebHost({ root: o.root, env: o.env, progress: o.progress })),
    await time('build:web-host (2)', () => buildWebHost({ root: o.root, env: o.env, progress: o.progress })),
  ]
  const writeManifestMs = await time('write-manifest', () => writeReleaseManifest({ root: o.root, image: { tag: null, digest: null } }))
  const loaderReadyMs: number[] = []
  const loaderStopMs: number[] = []
  for (let run = 1; run <= o.runs; run++) {
    const done = o.progress.phase(`loader start ${run}/${o.runs}`)
    const { readyMs, stopMs } = await startOnce(o.root, o.env)
    loaderReadyMs.push(readyMs)
    loaderStopMs.push(stopMs)
    done(`ready in ${readyMs} ms, stopped in ${stopMs} ms`)
  }
  let vegaUpMs: StartFigures['vegaUpMs'] = null
  let sfServerImageMs: number | null = null
  const imageSizesMb: Record<string, number> = {}
  if ((await engineAnswers(o.env)).ok) {
    const sandbox = await createSandbox(o.env, o.progress)
    try {
      const up = () => vegaUp(vegaContext(o.root, sandbox.env, o.progress))
      vegaUpMs = { fromNothing: await time('docker:vega:up from nothing', up), replacing: await time('docker:vega:up replacing', up) }
      const serverTag = `${sandbox.image.replace(/:.*/, '')}-sf-server:bench`
      sfServerImageMs = await time('docker:build', () => buildSfServerImage({ root: o.root, tag: serverTag, env: o.env, config: { SF_BASE_IMAGE: sandbox.env.SF_BASE_IMAGE }, progress: o.progress }))
      for (const image of [defaultBaseTag(), sandbox.image, serverTag]) {
        const size = await docker(imageInspectArgs(image, '{{.Size}}'), { env: o.env })
        imageSizesMb[image] = Math.round(Number(size.stdout.trim()) / 1e5) / 10
      }
      await docker(removeImagesArgs([serverTag]), { env: o.env, allowFailure: true })
    } finally {
      await sandbox.cleanup()
    }
  } else {
    o.progress.note('no Docker Engine answers: docker:vega:up is not measured')
  }
  return { buildCoreMs, buildWebHostMs, writeManifestMs, loaderReadyMs, loaderStopMs, sfServerImageMs, vegaUpMs, imageSizesMb }
}

async function startOnce(root: string, env: Env): Promise<{ readyMs: number; stopMs: number }> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-bench-start-'))
  const port = await freePort()
  const started = performance.now()
  const child = spawn(process.execPath, [distPaths(root).loader, 'server', root, '--port', String(port)], {
    env: { ...env, SF_HOME: path.join(home, '.sf') } as NodeJS.ProcessEnv,
    stdio: 'ignore',
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    await waitFor(`http://127.0.0.1:${port}/api/ready`, { deadlineMs: 60_000, minIntervalMs: 10, maxIntervalMs: 20 })
    const readyMs = Math.round(performance.now() - started)
    const stopping = performance.now()
    child.kill('SIGTERM')
    await exited
    return { readyMs, stopMs: Math.round(performance.now() - stopping) }
  } finally {
    child.kill('SIGKILL')
    await fs.rm(home, { recursive: true, force: true })
  }
}
