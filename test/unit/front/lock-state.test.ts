// What status and the upgrade endpoint say of the lock: a holder on this host whose pid is gone is
// stale (the next upgrade recovers it), a live one holds it, one elsewhere cannot be checked.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { lockFile, thisProcess } from '../../../lib/front/lock.ts'
import { describeLock, lockState } from '../../../lib/front/lock-state.ts'

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

test("seen from a container, a holder on the engine's host is judged by its /proc entry there", async (t) => {
  const holder = { ...thisProcess('npm run docker:vega:upgrade'), host: 'vega', pid: 4242, pidStart: '987654' }
  const file = withLock(t, holder)
  // What /proc/4242/stat says on the engine's host, as a throwaway container reads it.
  const stat = (state: string, start: string) => `4242 (node) ${state} 1 ${'0 '.repeat(17)}${start} 0 0`
  const engine = (answer: string | null | Error) => ({ name: 'vega', stat: async () => (answer instanceof Error ? Promise.reject(answer) : answer) })
  assert.equal((await lockState(file, {}, 'a1b2c3d4e5f6', engine(stat('S', '987654')))).state, 'held')
  const gone = await lockState(file, {}, 'a1b2c3d4e5f6', engine(null))
  assert.equal(gone.state, 'stale')
  assert.match(describeLock(gone), /\(pid 4242 is gone on vega\); the next upgrade recovers it$/)
  assert.equal((await lockState(file, {}, 'a1b2c3d4e5f6', engine(stat('Z', '987654')))).state, 'stale', 'a zombie is dead')
  assert.equal((await lockState(file, {}, 'a1b2c3d4e5f6', engine(stat('S', '111')))).state, 'stale', 'a reused pid is not the holder')
  const unreadable = await lockState(file, {}, 'a1b2c3d4e5f6', engine(new Error('no engine')))
  assert.deepEqual(unreadable.state === 'held' && unreadable.checked, false, 'unreadable: counts as held, unchecked')
  assert.match(describeLock(await lockState(file, {}, 'a1b2c3d4e5f6', { name: 'other-host', stat: async () => null })), /not checked from here/)
})
