// Upgrade progress: human lines on stderr, the same events as JSON lines on stdout with --json, and
// each phase's duration for the history.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createReport } from '../../../lib/vega/report.ts'

function collecting(json: boolean) {
  const err: string[] = []
  const out: string[] = []
  const report = createReport({ json, err: (l) => err.push(l), out: (l) => out.push(l) })
  return { report, err, out }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A JSON event with its timings checked and taken out, so the rest compares exactly. */
function untimed(line: string): Record<string, unknown> {
  const { elapsedMs, durationMs, ...rest } = JSON.parse(line) as Record<string, unknown>
  assert.ok(Number.isInteger(elapsedMs) && (elapsedMs as number) >= 0, `elapsedMs ${String(elapsedMs)}`)
  if (durationMs !== undefined) {
    assert.ok(Number.isInteger(durationMs) && (durationMs as number) >= 0, `durationMs ${String(durationMs)}`)
    return { ...rest, durationMs: 'n' }
  }
  return rest
}

describe('createReport', () => {
  test('writes one human line when a phase starts and one when it is done, with its detail', () => {
    const { report, err } = collecting(false)
    const done = report.phase('bundle dist/loader.js')
    done('412 kB')
    report.phase('converge')()
    report.note('removed a leftover sf-server-vega-candidate')
    assert.equal(err.length, 5)
    assert.match(err[0]!, /^\[ {3}\d\.\ds\] bundle dist\/loader\.js …$/)
    assert.match(err[1]!, /^\[ {3}\d\.\ds\] bundle dist\/loader\.js: done in \d\.\ds \(412 kB\)$/)
    assert.match(err[2]!, /^\[ {3}\d\.\ds\] converge …$/)
    assert.match(err[3]!, /^\[ {3}\d\.\ds\] converge: done in \d\.\ds$/)
    assert.equal(err[4], `${' '.repeat('[   0.0s] '.length)}removed a leftover sf-server-vega-candidate`)
  })

  test('with json, writes the same events as JSON lines on out', () => {
    const { report, err, out } = collecting(true)
    const done = report.phase('lock')
    report.note('waiting for the upgrade of pid 4242')
    done('recovered the lock left by dead pid 4242')
    report.phase('converge')()
    report.event('outcome', { outcome: 'upgraded' })
    assert.deepEqual(out.map(untimed), [
      { event: 'phase-start', phase: 'lock' },
      { event: 'note', text: 'waiting for the upgrade of pid 4242' },
      { event: 'phase-done', phase: 'lock', durationMs: 'n', detail: 'recovered the lock left by dead pid 4242' },
      { event: 'phase-start', phase: 'converge' },
      { event: 'phase-done', phase: 'converge', durationMs: 'n' },
      { event: 'outcome', outcome: 'upgraded' },
    ])
    assert.equal(err.length, 5, 'people still read the progress on err')
  })

  test('without json, writes nothing on out', () => {
    const { report, err, out } = collecting(false)
    report.phase('lock')('detail')
    report.note('a note')
    report.event('outcome', { outcome: 'upgraded' })
    assert.deepEqual(out, [])
    assert.equal(err.length, 3)
  })

  test('records each phase with its duration, in order, numbering a repeated name', async () => {
    const { report, out } = collecting(true)
    const build = report.phase('build')
    await sleep(40)
    build()
    report.phase('probe')()
    report.phase('build')()
    report.phase('build')()
    assert.deepEqual(Object.keys(report.phases), ['build', 'probe', 'build #2', 'build #3'])
    assert.ok(report.phases.build! >= 35 && report.phases.build! < 5000, `build took ${report.phases.build} ms`)
    const done = out.map((l) => JSON.parse(l) as { event: string; phase: string; durationMs: number }).filter((e) => e.event === 'phase-done')
    assert.deepEqual(done.map((e) => e.phase), ['build', 'probe', 'build', 'build'], 'events keep the name as given')
    assert.equal(done[0]!.durationMs, report.phases.build)
  })
})

test('with an events file, every event is appended there as one JSON line, even without --json', async () => {
  const fs = await import('node:fs')
  const os = await import('node:os')
  const path = await import('node:path')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-events-'))
  try {
    const file = path.join(dir, 'u.jsonl')
    const out: string[] = []
    const report = createReport({ json: false, eventsFile: file, err: () => {}, out: (l) => out.push(l) })
    report.phase('lock')()
    report.event('outcome', { outcome: 'upgraded' })
    const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event: string })
    assert.deepEqual(lines.map((l) => l.event), ['phase-start', 'phase-done', 'outcome'])
    assert.deepEqual(out, [], 'nothing on stdout without --json')
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})

test('knows the phase it is in, and tells a watcher before the phase is announced (a run killed on the announcement was in it)', () => {
  const seen: (string | null)[] = []
  const err: string[] = []
  const report = createReport({ json: false, err: (l) => err.push(l), out: () => {} })
  report.watch(() => seen.push(`${report.current ?? '-'} after ${err.length} line(s)`))
  assert.equal(report.current, null)
  const build = report.phase('build')
  const probe = report.phase('probe sf-server-vega-candidate')
  assert.equal(report.current, 'probe sf-server-vega-candidate')
  probe()
  assert.equal(report.current, 'build')
  build()
  assert.equal(report.current, null)
  assert.deepEqual(seen, ['build after 0 line(s)', 'probe sf-server-vega-candidate after 1 line(s)', 'build after 3 line(s)', '- after 4 line(s)'])
})
