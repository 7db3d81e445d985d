// The release prod serves and the one before it, which rollback returns to.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { readReleases, recordServing, releasesFile, type Release } from '../../../lib/vega/releases.ts'

const name = 'sf-server-vega'

function tempHome(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-releases-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

function release(n: number, at = `2026-11-27T1${n}:00:00.000Z`): Release {
  return { buildId: `20261127T1${n}0000Z-${String(n).repeat(12)}-beef`, commit: String(n).repeat(40), dirty: false, imageId: `sha256:${String(n).repeat(64)}`, at }
}

describe('releases', () => {
  test('recording a new release moves the current one to previous', async (t) => {
    const home = tempHome(t)
    assert.deepEqual(await recordServing(home, name, release(1)), { current: release(1), previous: null })
    assert.deepEqual(await recordServing(home, name, release(2)), { current: release(2), previous: release(1) })
    assert.deepEqual(await recordServing(home, name, release(3)), { current: release(3), previous: release(2) })
    assert.deepEqual(await readReleases(home, name), { current: release(3), previous: release(2) })
    assert.deepEqual(fs.readdirSync(path.dirname(releasesFile(home, name))), ['releases.json'], 'no temp file is left')
  })

  test('recording the release already serving keeps the previous one', async (t) => {
    const home = tempHome(t)
    await recordServing(home, name, release(1))
    await recordServing(home, name, release(2))
    const again = release(2, '2026-11-27T23:00:00.000Z')
    assert.deepEqual(await recordServing(home, name, again), { current: again, previous: release(1) })
    assert.deepEqual(await readReleases(home, name), { current: again, previous: release(1) })
  })

  test('the same build in a rebuilt image is a new release', async (t) => {
    const home = tempHome(t)
    await recordServing(home, name, release(1))
    const rebuilt = { ...release(1), imageId: `sha256:${'f'.repeat(64)}` }
    assert.deepEqual(await recordServing(home, name, rebuilt), { current: rebuilt, previous: release(1) })
  })

  test('a missing, garbled or foreign releases file reads as nothing recorded', async (t) => {
    const home = tempHome(t)
    assert.deepEqual(await readReleases(home, name), { current: null, previous: null })
    const file = releasesFile(home, name)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, '{"current": {"buildId": ')
    assert.deepEqual(await readReleases(home, name), { current: null, previous: null })
    fs.writeFileSync(file, JSON.stringify({ current: { buildId: 'x' }, previous: null }))
    assert.deepEqual(await readReleases(home, name), { current: null, previous: null })
  })
})
