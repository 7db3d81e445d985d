// What status and the upgrade endpoint say of the lock: a holder on this host whose pid is gone is
// stale (the next upgrade recovers it), a live one holds it, one elsewhere cannot be checked.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { lockFile, thisProcess } from '../../../lib/vega/lock.ts'
import { describeLock, lockState } from '../../../lib/vega/lock-state.ts'

function withLock(t: { after: (fn: () => void) => void }, holder: object): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-lockstate-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const file = lockFile(dir, 'sf-server-vega')
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, JSON.stringify(holder))
  return file
}

test('a holder on this host whose pid is gone is stale, and said to be recovered by the next upgrade', async (t) => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' })
  const file = withLock(t, { ...thisProcess('npm run docker:vega:upgrade'), pid: Number(dead.stdout), pidStart: null })
  const state = await lockState(file, {})
  assert.equal(state.state, 'stale')
  assert.match(describeLock(state), new RegExp(`^lock stale: pid ${dead.stdout} .* died holding it \\(pid ${dead.stdout} is gone\\); the next upgrade recovers it$`))
})

test('a live holder on this host holds it', async (t) => {
  const file = withLock(t, thisProcess('npm run docker:vega:upgrade'))
  const state = await lockState(file, {})
  assert.deepEqual(state.state === 'held' && state.checked, true)
  assert.match(describeLock(state), /^upgrade running: pid \d+ .*npm run docker:vega:upgrade\) since /)
})

test('a holder on another host holds it, said to be unchecked; no file is free', async (t) => {
  const file = withLock(t, { ...thisProcess('npm run docker:vega:upgrade'), host: 'elsewhere' })
  const state = await lockState(file, {})
  assert.match(describeLock(state), /not checked from here/)
  assert.deepEqual(await lockState(path.join(path.dirname(file), 'none.json'), {}), { state: 'free' })
})
