// npm run prune-builds in a scratch checkout: old builds go, with their manifests; what something
// runs from, points at or may roll back to stays.
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { scratchCheckout } from '../../support/scratch.ts'
import { tempDir } from '../../support/server.ts'

const exec = promisify(execFile)
const ids = ['20260101T000000Z-a', '20260102T000000Z-b', '20260103T000000Z-c', '20260104T000000Z-d', '20260105T000000Z-e']

test('removes only builds nothing needs, and --dry-run removes nothing', async (t) => {
  const scratch = scratchCheckout()
  const sfHome = path.join(tempDir('prune-home'), '.sf')
  t.after(() => {
    scratch.remove()
    fs.rmSync(path.dirname(sfHome), { recursive: true, force: true })
  })
  const builds = path.join(scratch.dir, 'dist', 'web', 'builds')
  const releases = path.join(scratch.dir, 'dist', 'releases')
  fs.mkdirSync(releases, { recursive: true })
  for (const id of ids) {
    fs.mkdirSync(path.join(builds, id, 'web'), { recursive: true })
    fs.writeFileSync(path.join(releases, `${id}.json`), '{}\n')
  }
  fs.symlinkSync(path.join('builds', ids[2]!, 'web'), path.join(scratch.dir, 'dist', 'web', 'standalone'))
  const release = (buildId: string) => ({ buildId, commit: 'c'.repeat(40), dirty: false, imageId: 'sha256:x', at: '2026-01-01T00:00:00Z' })
  fs.mkdirSync(path.join(sfHome, 'vega', 'sf-server-vega'), { recursive: true })
  fs.writeFileSync(path.join(sfHome, 'vega', 'sf-server-vega', 'releases.json'), JSON.stringify({ current: release(ids[4]!), previous: release(ids[0]!) }))
  const running = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { cwd: path.join(builds, ids[1]!, 'web'), stdio: 'ignore' })
  t.after(() => running.kill('SIGKILL'))
  await new Promise((resolve) => running.once('spawn', resolve))

  const prune = (...args: string[]) => exec('npm', ['run', '--silent', 'prune-builds', '--', '--keep', '1', ...args], { cwd: scratch.dir, env: { ...process.env, SF_HOME: sfHome } })
  const dry = await prune('--dry-run')
  assert.match(dry.stderr, new RegExp(`would remove ${ids[3]}`))
  assert.deepEqual(fs.readdirSync(builds).sort(), ids, '--dry-run removed nothing')

  const real = await prune()
  assert.deepEqual(JSON.parse(real.stdout).remove, [ids[3]])
  assert.deepEqual(fs.readdirSync(builds).sort(), [ids[0], ids[1], ids[2], ids[4]])
  assert.equal(fs.existsSync(path.join(releases, `${ids[3]}.json`)), false, 'its manifest went with it')
  assert.match(real.stderr, new RegExp(`keep   ${ids[1]}: a process on this host runs from it`))
  assert.match(real.stderr, new RegExp(`keep   ${ids[0]}: a recorded release \\(for rollback\\)`))
  assert.match(real.stderr, new RegExp(`keep   ${ids[2]}: dist/web/standalone points at it`))
})
