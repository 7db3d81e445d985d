// Everything one benchmark run owns: a per-run container name, image tags, loopback ports and temp
// folders, put into the environment the toolkit reads, and removed again afterwards. In front mode
// also the front, its network and its image, built here from this host's haproxy so nothing is pulled.
// On request also a scratch clone of the checkout to build from, for runs that commit a release.
import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { imageExists } from '../docker/image-choice.ts'
import { buildBaseImage, defaultBaseTag } from '../docker/base-image.ts'
import { networkRemoveArgs, removeContainerArgs, removeImagesArgs } from '../docker/args.ts'
import { docker } from '../docker/engine.ts'
import { buildFrontImage } from '../docker/front-image.ts'
import type { Env } from '../env.ts'
import type { Progress } from '../progress.ts'
import { frontName, networkName, nextFrontName, portHolderName } from '../front/definition.ts'
import { asideName, candidateName } from '../front/site.ts'
import { freePorts } from '../ports.ts'
import { scratchCheckout, type ScratchCheckout } from './checkout.ts'

export type SandboxMode = 'front' | 'direct'

export interface Sandbox {
  mode: SandboxMode
  /** The caller's environment with the run's SF_* variables over it. */
  env: Env
  name: string
  image: string
  port: number
  /** Origin of prod on the host. */
  url: string
  sfHome: string
  /** The run's own clone of the checkout, when asked for: build from it, commit in it. */
  checkout: ScratchCheckout | null
  /** Remove the run's containers, network, image tags and folders; never throws. */
  cleanup(): Promise<void>
}

/** `cloneOf`: the checkout to clone into the sandbox's folder; none: the run builds from the caller's. */
export async function createSandbox(base: Env, progress: Progress, mode: SandboxMode = 'direct', cloneOf: string | null = null): Promise<Sandbox> {
  const id = randomBytes(4).toString('hex')
  const name = `sf-bench-${id}`
  const image = `sf-bench-server:${id}`
  const frontImage = mode === 'front' ? `sf-bench-haproxy:${id}` : null
  const root = await fs.mkdtemp(path.join(os.tmpdir(), `sf-bench-${id}-`))
  const sfHome = path.join(root, 'sf-home')
  const workspaces = path.join(root, 'workspaces')
  const workspace = path.join(workspaces, 'bench-repo')
  const cleanup = async () => {
    for (const container of [frontName(name), nextFrontName(name), portHolderName(name), name, candidateName(name), asideName(name)]) {
      await docker(removeContainerArgs(container, { force: true }), { env: base, allowFailure: true }).catch(() => undefined)
    }
    await docker(networkRemoveArgs(networkName(name)), { env: base, allowFailure: true }).catch(() => undefined)
    await docker(removeImagesArgs(frontImage ? [image, frontImage] : [image]), { env: base, allowFailure: true }).catch(() => undefined)
    await fs.rm(root, { recursive: true, force: true }).catch(() => undefined)
  }
  try {
    await fs.mkdir(path.join(workspace, '.git'), { recursive: true })
    await fs.mkdir(sfHome, { mode: 0o700 })
    const checkout = cloneOf ? await scratchCheckout(cloneOf, path.join(root, 'checkout')) : null
    // Prod, then the candidate's port in direct mode, or one probe port per slot behind the front.
    const port = await freePorts('127.0.0.1', mode === 'front' ? 3 : 2)
    if (frontImage) await buildFrontImage({ tag: frontImage, env: base, progress, labels: { 'sf.bench': id } })
    const env: Env = {
      ...base,
      SF_VEGA_NAME: name,
      SF_VEGA_IMAGE: image,
      SF_VEGA_BIND: '127.0.0.1',
      SF_VEGA_PORT: String(port),
      SF_VEGA_PROBE_HOST: '',
      SF_VEGA_FRONT: mode === 'front' ? 'haproxy' : 'none',
      SF_VEGA_FRONT_IMAGE: frontImage ?? '',
      SF_HOME: sfHome,
      SF_WORKSPACE_DIR: workspace,
      SF_WORKSPACES_DIR: workspaces,
      SF_BASE_IMAGE: await localBase(base, progress),
    }
    return { mode, env, name, image, port, url: `http://127.0.0.1:${port}`, sfHome, checkout, cleanup }
  } catch (error) {
    await cleanup()
    throw error
  }
}

/** The local base image, built when missing, so nothing tries to pull from a registry. */
export async function localBase(env: Env, progress: Progress): Promise<string> {
  const tag = defaultBaseTag()
  if (!(await imageExists(tag, env))) await buildBaseImage({ tag, env, progress })
  return tag
}
