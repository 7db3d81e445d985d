// The deployments as figures for /api/metrics, from the history's lines.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { deployFigures, parseDeployRecords, readDeployFigures } from '../../../lib/vega/deploy-metrics.ts'
import { historyFile, type HistoryEntry } from '../../../lib/vega/history.ts'

function attempt(at: string, outcome: HistoryEntry['outcome'], o: Omit<Partial<HistoryEntry>, 'analysis'> & { analysis?: unknown } = {}): Record<string, unknown> {
  return {
    at,
    by: 'deploy@vega (pid 4242)',
    action: 'upgrade',
    name: 'sf-server-vega',
    from: { commit: 'a'.repeat(40), buildId: '20261127T101500Z-aaaaaaaaaaaa-beef', imageId: `sha256:${'1'.repeat(64)}` },
    to: { commit: 'b'.repeat(40), buildId: '20261127T111500Z-bbbbbbbbbbbb-cafe', imageId: `sha256:${'2'.repeat(64)}` },
    phases: { preflight: 500, build: 20_000, 'probe sf-server-vega-candidate': 4_500 },
    outcome,
    rollback: null,
    error: null,
    ...o,
  }
}

const figures = { requests: 120, errors5xx: 30, errors: 0, p50Ms: 4, p95Ms: 9 }
const verdict = (decision: string, rule: string | null) => ({ stage: 'settle', share: 100, decision, rule, reason: `${decision} by ${rule}`, old: figures, new: figures })

const lines = (...entries: unknown[]) => entries.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n') + '\n'

describe('deployFigures', () => {
  test('counts every action and outcome (0 included), times each attempt by its phases, and dates the last success by when it ended', () => {
    const text = lines(
      attempt('2026-11-27T10:00:00.000Z', 'upgraded'),
      attempt('2026-11-27T11:00:00.000Z', 'candidate-failed', { phases: { build: 30_000 } }),
      attempt('2026-11-27T12:00:00.000Z', 'upgraded'),
      attempt('2026-11-27T13:00:00.000Z', 'rolled-back', { action: 'rollback', phases: { swap: 2_000 } }),
    )
    const found = deployFigures(parseDeployRecords(text, 'sf-server-vega'))
    assert.equal(found.attempts.length, 2 * 6)
    assert.deepEqual(found.attempts.filter((a) => a.count > 0), [
      { action: 'upgrade', outcome: 'upgraded', count: 2 },
      { action: 'upgrade', outcome: 'candidate-failed', count: 1 },
      { action: 'rollback', outcome: 'rolled-back', count: 1 },
    ])
    assert.deepEqual(found.durations.map((d) => d.seconds), [25, 30, 25, 2])
    assert.deepEqual(found.lastSuccess, {
      upgrade: Date.parse('2026-11-27T12:00:00.000Z') / 1000 + 25,
      rollback: Date.parse('2026-11-27T13:00:00.000Z') / 1000 + 2,
    })
    assert.deepEqual(found.switchBacks, { '5xx': 0, errors: 0, latency: 0, probes: 0 }, 'a rollback by hand is no switch-back')
  })

  test("a switch-back's reason is the rule of the analysis's first failing verdict, else the probes", () => {
    const text = lines(
      attempt('2026-11-27T10:00:00.000Z', 'rolled-back', { analysis: [verdict('pass', null), verdict('fail', '5xx'), verdict('fail', 'latency')] }),
      attempt('2026-11-27T11:00:00.000Z', 'rolled-back', { analysis: [verdict('fail', 'latency')] }),
      attempt('2026-11-27T12:00:00.000Z', 'rolled-back'),
      attempt('2026-11-27T13:00:00.000Z', 'rolled-back', { analysis: [verdict('inconclusive', null)] }),
      attempt('2026-11-27T14:00:00.000Z', 'rolled-back', { analysis: 'a shape this reader does not know' }),
      attempt('2026-11-27T15:00:00.000Z', 'upgraded', { analysis: [verdict('pass', null)] }),
    )
    assert.deepEqual(parseDeployRecords(text, 'sf-server-vega').map((r) => r.switchBack), ['5xx', 'latency', 'probes', 'probes', 'probes', null])
    assert.deepEqual(deployFigures(parseDeployRecords(text, 'sf-server-vega')).switchBacks, { '5xx': 1, errors: 0, latency: 1, probes: 3 })
  })

  test("reads only this site's attempts, and skips lines that do not parse", () => {
    const text = lines(attempt('2026-11-27T10:00:00.000Z', 'upgraded'), '{not json', { at: 'x' }, attempt('2026-11-27T11:00:00.000Z', 'failed', { name: 'sf-other' }))
    assert.deepEqual(parseDeployRecords(text, 'sf-server-vega').map((r) => r.entry.outcome), ['upgraded'])
  })
})

describe('readDeployFigures', () => {
  test('is null without a history, and reads the one SF_HOME has', async (t) => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-deploy-metrics-'))
    t.after(() => fs.rmSync(home, { recursive: true, force: true }))
    assert.equal(await readDeployFigures(home, 'sf-server-vega'), null)
    fs.mkdirSync(path.dirname(historyFile(home)), { recursive: true })
    fs.writeFileSync(historyFile(home), lines(attempt('2026-11-27T10:00:00.000Z', 'upgraded')))
    assert.equal((await readDeployFigures(home, 'sf-server-vega'))?.attempts.find((a) => a.outcome === 'upgraded' && a.action === 'upgrade')?.count, 1)
  })
})
