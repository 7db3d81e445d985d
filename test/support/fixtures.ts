// Fixture trees built inline in temp dirs.
import fs from 'node:fs'
import path from 'node:path'
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
