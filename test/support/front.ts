// A vega server of this run behind a front of its own, in a scratch checkout: its per-run names,
// ports and folders, the environment that puts it behind the front, and the removal of everything.
import fs from 'node:fs'
import path from 'node:path'
import { docker } from '../../lib/docker/engine.ts'
import { buildFrontImage } from '../../lib/docker/front-image.ts'
import { freePorts } from '../../lib/ports.ts'
import { fetchAnswer } from '../../lib/probe.ts'
import { createProgress } from '../../lib/progress.ts'
import { removeContainers, removeImages, runId, vegaEnv } from './docker.ts'
import { workspacesFixture } from './fixtures.ts'
import { scratchCheckout } from './scratch.ts'
import { tempDir } from './server.ts'

export function frontRun(label: string) {
  const scratch = scratchCheckout()
  const fixture = workspacesFixture()
  const sfHome = path.join(tempDir(`${label}-home`), '.sf')
  const name = `sf-${label}-${runId}`
  const image = `sf-source-server-${label}:${runId}`
  const frontImage = `sf-haproxy-${label}:${runId}`
  return {
    scratch,
    fixture,
    sfHome,
    name,
    image,
    frontImage,
    containers: [name, `${name}-candidate`, `${name}-previous`, `${name}-front`, `${name}-front-next`, `${name}-port`],

    /** Build the front's image here (nothing is pulled) and take a port with its two probe ports and the front's metrics port. */
    async prepare(extra: Record<string, string> = {}) {
      await buildFrontImage({ tag: frontImage, env: process.env, progress: createProgress(() => {}) })
      const port = await freePorts('127.0.0.1', 4)
      const direct = await vegaEnv({ name, image, port, sfHome, workspace: fixture.alpha, workspaces: fixture.root })
      return { port, url: `http://127.0.0.1:${port}`, direct, env: { ...direct, SF_VEGA_FRONT: 'haproxy', SF_VEGA_FRONT_IMAGE: frontImage, ...extra } }
    },

    async servedCommit(url: string): Promise<string> {
      return ((await fetchAnswer(`${url}/api/version`)).json as { manifest: { git: { commit: string } } }).manifest.git.commit
    },

    /** Everything the run made: the servers, the fronts and the port holder, their network, the images and the folders. */
    async remove(o: { containers?: string[]; images?: string[] } = {}) {
      await removeContainers([name, `${name}-candidate`, `${name}-previous`, `${name}-front`, `${name}-front-next`, `${name}-port`, ...(o.containers ?? [])])
      await docker(['network', 'rm', `${name}-net`], { env: process.env, allowFailure: true })
      await removeImages([image, frontImage, ...(o.images ?? [])])
      scratch.remove()
      fixture.cleanup()
      fs.rmSync(path.dirname(sfHome), { recursive: true, force: true })
    },
  }
}
