// Which staged builds may go: never one that something runs, is pinned to, or may roll back to.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { buildsInUseByProcesses, planPrune, type PruneFacts } from '../../../lib/release/prune-builds.ts'

const facts = (over: Partial<PruneFacts>): PruneFacts => ({
  builds: ['20260101T000000Z-a', '20260102T000000Z-b', '20260103T000000Z-c', '20260104T000000Z-d', '20260105T000000Z-e'],
  current: null,
  inUseByProcesses: new Set(),
  inUseByContainers: new Set(),
  recordedReleases: new Set(),
  ...over,
})

describe('planPrune', () => {
  test('keeps the newest N by build time and removes the rest, oldest first', () => {
    assert.deepEqual(planPrune(facts({}), 2), {
      keep: [
        { buildId: '20260104T000000Z-d', why: ['among the newest 2'] },
        { buildId: '20260105T000000Z-e', why: ['among the newest 2'] },
      ],
      remove: ['20260101T000000Z-a', '20260102T000000Z-b', '20260103T000000Z-c'],
    })
  })

  test('keeps, with every reason, what standalone points at, what runs, what a container is pinned to and recorded releases', () => {
    const plan = planPrune(
      facts({
        current: '20260101T000000Z-a',
        inUseByProcesses: new Set(['20260102T000000Z-b', '20260101T000000Z-a']),
        inUseByContainers: new Set(['20260103T000000Z-c']),
        recordedReleases: new Set(['20260103T000000Z-c']),
      }),
      1,
    )
    assert.deepEqual(plan.remove, ['20260104T000000Z-d'])
    assert.deepEqual(plan.keep, [
      { buildId: '20260101T000000Z-a', why: ['dist/web/standalone points at it', 'a process on this host runs from it'] },
      { buildId: '20260102T000000Z-b', why: ['a process on this host runs from it'] },
      { buildId: '20260103T000000Z-c', why: ['a container is pinned to it', 'a recorded release (for rollback)'] },
      { buildId: '20260105T000000Z-e', why: ['among the newest 1'] },
    ])
  })
})

describe('buildsInUseByProcesses', () => {
  test('finds the build a live process runs from, by its working folder', async (t) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-prune-'))
    t.after(() => fs.rmSync(root, { recursive: true, force: true }))
    const cwd = path.join(root, 'dist', 'web', 'builds', '20260107T000000Z-live', 'web')
    fs.mkdirSync(cwd, { recursive: true })
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { cwd, stdio: 'ignore' })
    t.after(() => child.kill('SIGKILL'))
    await new Promise((resolve) => child.once('spawn', resolve))
    assert.ok((await buildsInUseByProcesses()).has('20260107T000000Z-live'))
    child.kill('SIGKILL')
    await new Promise((resolve) => child.once('exit', resolve))
    assert.ok(!(await buildsInUseByProcesses()).has('20260107T000000Z-live'), 'not once it has exited')
  })
})
