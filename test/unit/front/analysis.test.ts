// Judging a new release by its traffic: the figures from the front's ring lines, and each rule's verdict.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { describeFigures, figuresOf, judge, percentile, type Figures, type Rules } from '../../../lib/front/analysis.ts'
import { parseRequest, type Request } from '../../../lib/front/traffic.ts'

const rules: Rules = { max5xxPercent: 5, latencyFactor: 3, latencyFloorMs: 100, minRequests: 20, baselineSeconds: 60 }
const stage = { stage: 'settle', share: 100 }

/** Figures of `requests`, `errors5xx` of them 5xx, with a p95 (and by default the same median). */
const figures = (requests: number, errors5xx: number, p95Ms: number | null, errors = 0, p50Ms = p95Ms): Figures => ({ requests, errors5xx, errors, p50Ms, p95Ms })

describe('parseRequest', () => {
  test('reads time, slot, status and response time from a ring line; -1 is no answer', () => {
    assert.deepEqual(parseRequest('1764504000 b 500 12'), { at: 1764504000, slot: 'b', status: 500, ms: 12 })
    assert.deepEqual(parseRequest('1764504000 a 503 -1\r'), { at: 1764504000, slot: 'a', status: 503, ms: null })
  })

  test('skips a request no slot answered, and anything that is not a ring line', () => {
    assert.equal(parseRequest('1764504000 <NOSRV> 503 -1'), null)
    assert.equal(parseRequest('No such event sink'), null)
    assert.equal(parseRequest(''), null)
    assert.equal(parseRequest('1764504000 a 200'), null)
  })
})

describe('figuresOf', () => {
  test("counts one slot's requests and 5xx, and its nearest-rank median and p95, leaving untimed answers out of the times", () => {
    const requests: Request[] = [
      ...Array.from({ length: 19 }, (_, i) => ({ at: 1, slot: 'b' as const, status: 200, ms: i + 1 })),
      { at: 1, slot: 'b', status: 500, ms: 100 },
      { at: 1, slot: 'b', status: 503, ms: null },
      { at: 1, slot: 'a', status: 500, ms: 999 },
    ]
    assert.deepEqual(figuresOf(requests, 'b', 2), { requests: 21, errors5xx: 2, errors: 2, p50Ms: 10, p95Ms: 19 })
    assert.deepEqual(figuresOf([], 'a', 0), { requests: 0, errors5xx: 0, errors: 0, p50Ms: null, p95Ms: null })
  })

  test('percentile is the nearest rank', () => {
    assert.equal(percentile([1, 2, 3, 4], 50), 2)
    assert.equal(percentile([1, 2, 3, 4], 95), 4)
    assert.equal(percentile([7], 95), 7)
    assert.equal(percentile([], 50), null)
  })
})

describe('judge', () => {
  test('fails on 5xx over the limit and over the old server, naming the share', () => {
    const v = judge(stage, figures(200, 0, 10), figures(100, 30, 10), rules, false)
    assert.equal(v.decision, 'fail')
    assert.equal(v.rule, '5xx')
    assert.match(v.reason, /30% of the new server's 100 answers were 5xx \(limit 5%, old server 0%\)/)
  })

  test('passes 5xx over the limit that are no worse than the old server gave', () => {
    assert.equal(judge(stage, figures(100, 40, 10), figures(100, 30, 10), rules, true).decision, 'pass')
  })

  test('with no baseline (the old server had too few requests), 5xx are judged against the limit alone', () => {
    const v = judge(stage, figures(3, 0, 10), figures(100, 6, 10), rules, true)
    assert.equal(v.rule, '5xx')
    assert.match(v.reason, /old server no baseline/)
    assert.equal(judge(stage, null, figures(100, 5, 10), rules, true).decision, 'pass', '5% is the limit, not over it')
  })

  test('fails on a p95 over the factor of the old one and over the floor; not under the floor, not with no baseline', () => {
    const slow = judge(stage, figures(100, 0, 40), figures(100, 0, 400), rules, false)
    assert.deepEqual([slow.decision, slow.rule], ['fail', 'latency'])
    assert.match(slow.reason, /p95 is 400 ms, over 3 x the old server's 40 ms and over 100 ms/)
    assert.equal(judge(stage, figures(100, 0, 10), figures(100, 0, 90), rules, true).decision, 'pass', 'under the floor')
    assert.equal(judge(stage, figures(100, 0, 40), figures(100, 0, 110), rules, true).decision, 'pass', 'under the factor')
    assert.equal(judge(stage, figures(5, 0, 1), figures(100, 0, 400), rules, true).decision, 'pass', 'no baseline')
  })

  test('fails on a median over the factor and the floor, though the old server\'s tail hides the new p95', () => {
    const v = judge(stage, figures(100, 0, 1000, 0, 50), figures(100, 0, 1300, 0, 1100), rules, true)
    assert.deepEqual([v.decision, v.rule], ['fail', 'latency'])
    assert.match(v.reason, /the new server's p50 is 1100 ms, over 3 x the old server's 50 ms and over 100 ms/)
  })

  test('before the end of a stage, judges latency only over five times the minimum of requests (a new process is slow at first)', () => {
    assert.equal(judge(stage, figures(100, 0, 40), figures(99, 0, 400), rules, false).decision, 'pass')
    assert.equal(judge(stage, figures(100, 0, 40), figures(100, 0, 400), rules, false).decision, 'fail')
    assert.equal(judge(stage, figures(100, 0, 40), figures(21, 0, 400), rules, true).decision, 'fail')
  })

  test('fails on any connection or response error, whatever the count', () => {
    const v = judge(stage, null, figures(2, 0, 1, 1), rules, false)
    assert.deepEqual([v.decision, v.rule], ['fail', 'errors'])
  })

  test('too few requests: inconclusive at the end, decided by the probes, and the count is said; before the end it passes for now', () => {
    const end = judge(stage, figures(100, 0, 10), figures(3, 3, 900), rules, true)
    assert.deepEqual([end.decision, end.rule], ['inconclusive', 'probes'])
    assert.match(end.reason, /^inconclusive: 3 requests \(fewer than 20\); the probes decided$/)
    assert.equal(judge(stage, null, figures(3, 3, 900), rules, false).decision, 'pass')
  })

  test('carries the stage, the share and both sides\' figures', () => {
    const v = judge({ stage: 'canary 10%', share: 10 }, figures(90, 0, 10), figures(30, 0, 12), rules, true)
    assert.deepEqual({ stage: v.stage, share: v.share, old: v.old, new: v.new }, { stage: 'canary 10%', share: 10, old: figures(90, 0, 10), new: figures(30, 0, 12) })
    assert.equal(describeFigures(v.new), '30 requests, 0 5xx (0%), p50 12 ms, p95 12 ms')
    assert.equal(describeFigures(figures(1, 1, null, 1)), '1 request, 1 5xx (100%), no timed answer, 1 connection/response error(s)')
    assert.equal(v.reason, '30 requests, 0% 5xx, p50 12 ms, p95 12 ms, against the old server\'s 90')
  })
})
