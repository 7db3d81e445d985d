// Building a release for the vega server, the one way up, upgrade and the benchmarks do it: the
// loader, the web host in its own build folder, the manifest, then the runtime image.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { chooseBaseImage } from '../docker/base-choice.ts'
import { imageInspectArgs } from '../docker/args.ts'
import { buildImage, docker } from '../docker/engine.ts'
import { buildCore } from '../release/loader-bundle.ts'
import { buildWebHost } from '../release/web-host.ts'
import { writeReleaseManifest } from '../release/write-manifest.ts'
import type { VegaContext } from './context.ts'
import type { Release } from './releases.ts'

/** The new release, built and staged; `at` is when the attempt started. */
export async function buildRelease(ctx: VegaContext, at: string): Promise<Release> {
  const { config, env, progress } = ctx
  let done = progress.phase('bundle dist/loader.js')
  await buildCore(ctx.root)
  done()
  await buildWebHost({ root: ctx.root, env, progress })
  done = progress.phase('write dist/sf-release-manifest.json')
  const manifest = await writeReleaseManifest({ root: ctx.root, image: { tag: null, digest: null } })
  done(`commit ${manifest.git.commit.slice(0, 12)}, build ${manifest.webHost.buildId}`)
  await buildRuntimeImage(ctx)
  const imageId = (await docker(imageInspectArgs(config.SF_VEGA_IMAGE, '{{.Id}}'), { env })).stdout.trim()
  return { buildId: manifest.webHost.buildId, commit: manifest.git.commit, dirty: manifest.git.dirty, imageId, at }
}

/** docker/Dockerfile.source-server needs no files, so its context is an empty folder. */
export async function buildRuntimeImage(ctx: VegaContext): Promise<void> {
  const base = await chooseBaseImage({ configured: ctx.config.SF_BASE_IMAGE, env: ctx.env, progress: ctx.progress })
  const done = ctx.progress.phase(`build ${ctx.config.SF_VEGA_IMAGE} on ${base.image}`)
  const context = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-runtime-'))
  try {
    const dockerfile = path.join(ctx.root, 'docker', 'Dockerfile.source-server')
    await buildImage({ dockerfile, context, tag: ctx.config.SF_VEGA_IMAGE, buildArgs: { BASE_IMAGE: base.image }, labels: { 'sf.role': 'runtime' } }, ctx.env, ctx.progress)
  } finally {
    await fs.rm(context, { recursive: true, force: true })
  }
  done()
}
