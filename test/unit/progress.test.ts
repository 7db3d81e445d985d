import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { createProgress, formatPhase } from '../../lib/progress.ts'

describe('formatPhase', () => {
  test('prefixes the text with the elapsed seconds, one decimal, right-aligned', () => {
    assert.equal(formatPhase(0, 'start'), '[   0.0s] start')
    assert.equal(formatPhase(1234, 'next build'), '[   1.2s] next build')
    assert.equal(formatPhase(98_765, 'stage'), '[  98.8s] stage')
    assert.equal(formatPhase(1_234_567, 'long'), '[1234.6s] long')
  })
})

describe('createProgress', () => {
  test('writes a start line and a done line with the time taken and the detail', async () => {
    const lines: string[] = []
    const progress = createProgress((line) => lines.push(line))
    const done = progress.phase('stage standalone server')
    assert.equal(lines.length, 1)
    await sleep(120)
    done('412 files')
    assert.equal(lines.length, 2)
    assert.match(lines[0]!, /^\[ +0\.\ds\] stage standalone server …$/)
    const end = /^\[ +(\d+\.\d)s\] stage standalone server: done in (\d+\.\d)s \(412 files\)$/.exec(lines[1]!)
    assert.ok(end, `unexpected done line: ${lines[1]}`)
    assert.ok(Number(end[2]) >= 0.1, `took ${end[2]}s, expected at least 0.1s`)
  })

  test('leaves the parentheses out when there is no detail', () => {
    const lines: string[] = []
    createProgress((line) => lines.push(line)).phase('write manifest')()
    assert.match(lines[1]!, /\] write manifest: done in \d+\.\ds$/)
  })

  test('indents a note so it lines up with the phase name', () => {
    const lines: string[] = []
    const progress = createProgress((line) => lines.push(line))
    progress.phase('next build')
    progress.note('Compiled successfully')
    assert.equal(lines[1]!.trimStart(), 'Compiled successfully')
    assert.equal(lines[1]!.indexOf('Compiled'), lines[0]!.indexOf('next build'))
  })
})
