// npm start: the embedded default, without Docker.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, test } from 'node:test'
import { repoRoot } from '../../../lib/paths.ts'
import { fetchAnswer, waitFor } from '../../../lib/probe.ts'
import { freePort, tempDir } from '../../support/server.ts'

function npmStart(cwd: string, env: Record<string, string>) {
  const child = spawn('npm', ['start'], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)))
  // Closed once every process holding its output (npm, tsx, the loader, the web host) has exited.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()))
  return { child, exited, closed, output: () => output }
}

describe('npm start', () => {
  test('serves this checkout on the configured port and drains on Ctrl-C', async () => {
    const port = await freePort()
    const home = tempDir('start')
    const run = npmStart(repoRoot, { SF_WEB_PORT: String(port), SF_HOME: path.join(home, '.sf') })
    try {
      await waitFor(`http://127.0.0.1:${port}/api/ready`, { deadlineMs: 120_000 }).catch((e: Error) => {
        throw new Error(`${e.message}\n${run.output()}`)
      })
      const projects = (await fetchAnswer(`http://127.0.0.1:${port}/api/projects`)).json as { workspace: { path: string } }
      assert.equal(projects.workspace.path, repoRoot)
      // What a terminal's Ctrl-C does: SIGINT to the whole foreground process group.
      process.kill(-run.child.pid!, 'SIGINT')
      await run.closed
      assert.match(run.output(), /SIGINT: draining/)
      assert.match(run.output(), /drained in \d+ ms; exiting 0/)
      assert.doesNotMatch(run.output(), /second SIGINT/, 'one Ctrl-C must reach the web host once')
      const refused = await fetchAnswer(`http://127.0.0.1:${port}/api/healthz`).then(() => false, () => true)
      assert.ok(refused, 'nothing listens after the drain')
    } finally {
      try {
        process.kill(-run.child.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
      fs.rmSync(home, { recursive: true, force: true })
    }
  })

  test('refuses bad configuration before building or installing anything', async () => {
    const clone = tempDir('start-clone')
    try {
      fs.cpSync(path.join(repoRoot, 'package.json'), path.join(clone, 'package.json'))
      for (const dir of ['lib', 'scripts']) fs.cpSync(path.join(repoRoot, dir), path.join(clone, dir), { recursive: true })
      fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(clone, 'node_modules'))
      const run = npmStart(clone, { SF_WEB_PORT: '70000', SF_WORKSPACE_DIR: 'relative/path' })
      assert.notEqual(await run.exited, 0)
      assert.match(run.output(), /SF_WORKSPACE_DIR="relative\/path": must be an absolute path/)
      assert.match(run.output(), /SF_WEB_PORT="70000": must be a whole number from 1 to 65535/)
      assert.doesNotMatch(run.output(), /install web dependencies|next build/)
      assert.equal(fs.existsSync(path.join(clone, 'dist')), false)
    } finally {
      fs.rmSync(clone, { recursive: true, force: true })
    }
  })
})
