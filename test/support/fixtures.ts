// Fixture trees built inline in temp dirs.
import fs from 'node:fs'
import path from 'node:path'
import type { VegaInputs } from '../../lib/vega/container.ts'
import { tempDir } from './server.ts'

/** A workspaces dir with two repos (one the workspace), a plain folder and a link that escapes it. */
export function workspacesFixture() {
  const root = tempDir('workspaces')
  const outside = tempDir('outside')
  const repo = (dir: string) => fs.mkdirSync(path.join(dir, '.git'), { recursive: true })
  const alpha = path.join(root, 'alpha')
  const beta = path.join(root, 'beta')
  repo(alpha)
  repo(beta)
  fs.mkdirSync(path.join(root, 'notes'))
  repo(path.join(outside, 'secret-repo'))
  fs.symlinkSync(path.join(outside, 'secret-repo'), path.join(root, 'escape'))
  return {
    root,
    alpha,
    beta,
    cleanup() {
      fs.rmSync(root, { recursive: true, force: true })
      fs.rmSync(outside, { recursive: true, force: true })
    },
  }
}

/** The vega container as the spec's author would run it on vega (host paths are the spec's examples). */
export const vegaInputsOnVega: VegaInputs = {
  name: 'sf-server-vega',
  image: 'sf-source-server:local',
  checkout: '/home/mhugo/code/sf',
  workspaceDir: '/home/mhugo/code/other-repo',
  workspacesDir: '/home/mhugo/code',
  sfHome: '/home/mhugo/.sf',
  bind: '100.64.0.7',
  port: 4000,
  dockerSocket: '/var/run/docker.sock',
  dockerGid: 998,
  graceMs: 600000,
  stopTimeout: 610,
  buildId: '20261127T101500Z-0123456789ab-beef',
  commit: '0123456789abcdef0123456789abcdef01234567',
  loader: 'loader-0123456789ab.js',
}
