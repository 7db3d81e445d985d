// The controller's image: scripts/controller.ts bundled with esbuild into one file, on the chosen Node
// base (SF_BASE_IMAGE, else the official LTS, else this host's local base), labelled with the commit
// it was built from. Built from the same checkout as the toolkit that installs it.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { chooseBaseImage } from '../docker/base-choice.ts'
import { imageInspectArgs } from '../docker/args.ts'
import { buildImage, docker } from '../docker/engine.ts'
import type { Env } from '../env.ts'
import { gitState } from '../git.ts'
import type { Progress } from '../progress.ts'
import { bundleForNode } from '../release/loader-bundle.ts'

export const controllerDockerfile = (root: string) => path.join(root, 'docker', 'Dockerfile.controller')

/** sf-controller:<commit 12>, -dirty when the checkout had changes. */
export function controllerTag(commit: string, dirty: boolean): string {
  return `sf-controller:${commit.slice(0, 12)}${dirty ? '-dirty' : ''}`
}

export async function buildControllerImage(o: { root: string; env: Env; progress: Progress; baseImage?: string; tag?: string; labels?: Record<string, string> }): Promise<{ tag: string; imageId: string; commit: string }> {
  const { root, env, progress } = o
  const git = await gitState(root)
  const tag = o.tag ?? controllerTag(git.commit, git.dirty)
  let done = progress.phase('choose the base image')
  const base = await chooseBaseImage({ configured: o.baseImage, env, progress })
  done(`${base.image}: ${base.why}`)
  const context = await fs.mkdtemp(path.join(os.tmpdir(), 'sf-controller-context-'))
  try {
    done = progress.phase('bundle the controller')
    await bundleForNode(path.join(root, 'scripts', 'controller.ts'), path.join(context, 'controller.mjs'))
    await fs.writeFile(path.join(context, 'package.json'), '{ "type": "module" }\n')
    done(`commit ${git.commit.slice(0, 12)}${git.dirty ? ' (with uncommitted changes)' : ''}`)
    done = progress.phase(`docker build ${tag}`)
    await buildImage(
      { dockerfile: controllerDockerfile(root), context, tag, buildArgs: { BASE_IMAGE: base.image, SF_REVISION: git.commit }, labels: { 'sf.role': 'sf-controller-image', ...o.labels } },
      env,
      progress,
    )
    const imageId = (await docker(imageInspectArgs(tag, '{{.Id}}'), { env })).stdout.trim()
    done(imageId.slice(0, 19))
    return { tag, imageId, commit: git.commit }
  } finally {
    await fs.rm(context, { recursive: true, force: true })
  }
}
