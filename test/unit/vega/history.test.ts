// The upgrade history: one JSON line per attempt, read back oldest first.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { abandonedEntry, appendHistory, historyFile, readHistory, type HistoryEntry } from '../../../lib/vega/history.ts'

function tempHome(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-history-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

function attempt(at: string, outcome: HistoryEntry['outcome'] = 'upgraded'): HistoryEntry {
  return {
    at,
    by: 'deploy@vega (pid 4242)',
    action: 'upgrade',
    name: 'sf-server-vega',
    from: { commit: 'a'.repeat(40), buildId: '20261127T101500Z-aaaaaaaaaaaa-beef', imageId: `sha256:${'1'.repeat(64)}` },
    to: { commit: 'b'.repeat(40), buildId: '20261127T111500Z-bbbbbbbbbbbb-cafe', imageId: `sha256:${'2'.repeat(64)}` },
    phases: { preflight: 120, lock: 3, 'probe sf-server-vega-candidate': 4100 },
    outcome,
    rollback: null,
    error: null,
  }
}

describe('upgrade history', () => {
  test('reads back what was appended, oldest first', async (t) => {
    const home = tempHome(t)
    const entries = [attempt('2026-11-27T10:00:00.000Z'), attempt('2026-11-27T11:00:00.000Z', 'rolled-back'), attempt('2026-11-27T12:00:00.000Z', 'failed')]
    for (const entry of entries) await appendHistory(home, entry)
    assert.deepEqual(await readHistory(home, 10), entries)
    assert.equal(fs.readFileSync(historyFile(home), 'utf8').split('\n').length, 4, 'one line per attempt')
  })

  test('returns only the last N entries', async (t) => {
    const home = tempHome(t)
    for (const hour of ['10', '11', '12', '13']) await appendHistory(home, attempt(`2026-11-27T${hour}:00:00.000Z`))
    assert.deepEqual((await readHistory(home, 2)).map((e) => e.at), ['2026-11-27T12:00:00.000Z', '2026-11-27T13:00:00.000Z'])
  })

  test('skips lines that are not JSON or not an entry', async (t) => {
    const home = tempHome(t)
    await appendHistory(home, attempt('2026-11-27T10:00:00.000Z'))
    fs.appendFileSync(historyFile(home), '{"at":"2026-11-27T10:30:00.000Z","outcome":"upgraded"}\n{"at": "2026-11-27T10:45\nnot json at all\n\n')
    await appendHistory(home, attempt('2026-11-27T11:00:00.000Z'))
    assert.deepEqual((await readHistory(home, 10)).map((e) => e.at), ['2026-11-27T10:00:00.000Z', '2026-11-27T11:00:00.000Z'])
  })

  test('is empty when nothing was recorded', async (t) => {
    assert.deepEqual(await readHistory(tempHome(t), 5), [])
  })

  test('refuses to append an entry the schema does not allow, writing nothing', async (t) => {
    const home = tempHome(t)
    await appendHistory(home, attempt('2026-11-27T10:00:00.000Z'))
    const before = fs.readFileSync(historyFile(home), 'utf8')
    const invalid = { ...attempt('2026-11-27T11:00:00.000Z'), outcome: 'exploded' } as unknown as HistoryEntry
    await assert.rejects(appendHistory(home, invalid), (error: Error) => {
      assert.equal(error.name, 'ZodError')
      assert.match(error.message, /outcome/)
      return true
    })
    assert.equal(fs.readFileSync(historyFile(home), 'utf8'), before)
  })

  test("a run that died holding the lock is recorded with what its lock said: from, to, its finished phases and the phase it died in", () => {
    const done = attempt('2026-11-27T10:15:00.000Z')
    const holder = { pid: 4242, pidStart: '1', host: 'vega', user: 'deploy', since: '2026-11-27T10:15:00.000Z', command: 'npm run docker:vega:upgrade', run: { action: 'upgrade' as const, from: done.from, to: done.to, phases: { preflight: 120, 'switch the front to slot b (sf-server-vega-candidate)': 900 }, current: 'settle: sf-server-vega-candidate green' } }
    const entry = abandonedEntry('sf-server-vega', holder)
    assert.deepEqual(
      { ...entry },
      { at: holder.since, by: 'deploy@vega (pid 4242)', action: 'upgrade', name: 'sf-server-vega', from: done.from, to: done.to, phases: holder.run.phases, outcome: 'abandoned', rollback: null, error: 'pid 4242 died holding the lock during settle: sf-server-vega-candidate green' },
    )
    assert.equal(abandonedEntry('sf-server-vega', { ...holder, run: undefined }).error, 'pid 4242 died holding the lock')
  })
})
