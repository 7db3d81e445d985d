// The benchmark's figures, computed from recorded samples: pure, so every case is built inline.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { countsBetween, failuresByPhase, hopPrice, longestWindowWithoutSuccess, percentile, requestFigures, slowFigures, timeToBuild } from '../../../lib/bench/figures.ts'
import type { Sample } from '../../../lib/bench/load.ts'

const ok = (start: number, end: number, path = '/api/healthz'): Sample => ({ path, start, end, outcome: 200 })
const failed = (start: number, end: number, outcome: number | string = 'ECONNREFUSED', path = '/api/healthz'): Sample => ({ path, start, end, outcome })

describe('percentile', () => {
  test('is the nearest rank: the smallest value with at least that fraction at or below it', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1)
    assert.equal(percentile(hundred, 0.5), 50)
    assert.equal(percentile(hundred, 0.99), 99)
    assert.equal(percentile(hundred, 1), 100)
    assert.equal(percentile([3, 7, 9], 0.5), 7)
    assert.equal(percentile([3, 7, 9], 0.99), 9)
  })

  test('of one value is that value, at any fraction, and of none is 0', () => {
    assert.equal(percentile([42], 0), 42)
    assert.equal(percentile([42], 0.99), 42)
    assert.equal(percentile([], 0.5), 0)
  })
})

describe('requestFigures', () => {
  test('counts failures by code and rates over the whole load, and takes latencies of successes only', () => {
    const samples = [ok(0, 2), ok(10, 14), failed(20, 21), failed(30, 31, 'UND_ERR_SOCKET'), failed(40, 41, 503), ok(50, 60)]
    const f = requestFigures(samples, { loadStart: 0, loadStop: 2000, origin: 0 })
    assert.equal(f.total, 6)
    assert.equal(f.ok, 3)
    assert.equal(f.failed, 3)
    assert.deepEqual(f.failedBy, { ECONNREFUSED: 1, UND_ERR_SOCKET: 1, 503: 1 })
    assert.equal(f.perSecond, 3)
    assert.equal(f.okPerSecond, 1.5)
    assert.deepEqual(f.latencyMs, { p50: 4, p99: 10, max: 10 })
  })
})

describe('longestWindowWithoutSuccess', () => {
  test('is the largest gap between consecutive successful ends, with the requests that started inside it', () => {
    const samples = [ok(0, 100), ok(100, 200), failed(210, 211), failed(400, 401, 'UND_ERR_SOCKET'), ok(600, 900), ok(900, 950)]
    const w = longestWindowWithoutSuccess(samples, { loadStart: 0, loadStop: 1000, origin: 150 })
    assert.equal(w.ms, 700)
    assert.equal(w.fromMs, 50)
    assert.equal(w.toMs, 750)
    assert.equal(w.openEnded, false)
    assert.deepEqual(w.requestsInside, { ECONNREFUSED: 1, UND_ERR_SOCKET: 1, 200: 1 })
  })

  test('is bounded by the load when no success came after the outage', () => {
    const w = longestWindowWithoutSuccess([ok(0, 50), failed(60, 61)], { loadStart: 0, loadStop: 1000, origin: 0 })
    assert.equal(w.ms, 950)
    assert.equal(w.openEnded, true)
  })
})

describe('failuresByPhase', () => {
  test('puts each failure in the phase it started in, or before, between or after them', () => {
    const spans = [
      { phase: 'drain', start: 100, end: 200 },
      { phase: 'start', start: 300, end: null },
    ]
    const samples = [failed(50, 51), failed(150, 151), failed(250, 251, 'ECONNRESET'), failed(350, 351), ok(160, 161)]
    assert.deepEqual(failuresByPhase(samples, [spans[0]!, { ...spans[1]!, end: 400 }], 500), {
      '(before the change)': { ECONNREFUSED: 1 },
      drain: { ECONNREFUSED: 1 },
      '(between phases)': { ECONNRESET: 1 },
      start: { ECONNREFUSED: 1 },
    })
    assert.deepEqual(failuresByPhase([failed(600, 601)], spans, 500), { start: { ECONNREFUSED: 1 } }, 'a phase that never ended holds what came after it')
  })
})

describe('countsBetween', () => {
  const samples = [
    ok(0, 10, '/'),
    failed(100, 110, 500, '/'),
    failed(150, 160, 503, '/'),
    ok(180, 190, '/api/projects'),
    failed(190, 191, 'ECONNRESET', '/'),
    failed(199, 260, 500, '/'),
    failed(200, 210, 500, '/'),
    ok(300, 310, '/'),
  ]

  test('counts by path and all together the 5xx and the other failures of the requests that started between two times', () => {
    assert.deepEqual(countsBetween(samples, 100, 200), {
      all: { requests: 5, status5xx: 3, otherFailed: 1, percent5xx: 60 },
      '/': { requests: 4, status5xx: 3, otherFailed: 1, percent5xx: 75 },
      '/api/projects': { requests: 1, status5xx: 0, otherFailed: 0, percent5xx: 0 },
    })
  })

  test('counts a request by its start: one that started before the end and ended after it is in, one that started at the end is not', () => {
    const between = countsBetween(samples, 199, 200)
    assert.equal(between['/']!.status5xx, 1)
    assert.equal(countsBetween(samples, 0, Infinity).all!.requests, samples.length)
  })

  test('gives no share of no request', () => {
    assert.deepEqual(countsBetween(samples, 400, 500), { all: { requests: 0, status5xx: 0, otherFailed: 0, percent5xx: null } })
    assert.equal(countsBetween([failed(0, 1, 500), ok(1, 2), ok(2, 3)], 0, 3).all!.percent5xx, 33.33)
  })
})

describe('slowFigures', () => {
  test('counts the held requests in flight when the switch started, and each answer but 200 as lost', () => {
    const samples = [ok(100, 3100), ok(100, 3150), failed(100, 2000, 'UND_ERR_SOCKET'), ok(100, 250)]
    const f = slowFigures(samples, 3000, 100, 300)
    assert.equal(f.sentBeforeSwitchMs, 200)
    assert.equal(f.inFlightAtSwitchStart, 3)
    assert.equal(f.ok, 3)
    assert.equal(f.lost, 1)
    assert.deepEqual(f.lostBy, { UND_ERR_SOCKET: 1 })
    assert.deepEqual(f.durationsMs, [150, 1900, 3000, 3050])
  })
})

describe('timeToBuild', () => {
  const polls = [
    { start: 0, end: 5, buildId: 'old' },
    { start: 20, end: 26, buildId: 'old' },
    { start: 40, end: 41, buildId: null },
    { start: 60, end: 64, buildId: 'new' },
    { start: 80, end: 83, buildId: 'new' },
  ]

  test('is the time from the proof to the end of the first poll naming the new build', () => {
    assert.equal(timeToBuild(polls, 'new', 10), 54)
  })

  test('is null when no poll named it, and ignores polls that ended before the proof', () => {
    assert.equal(timeToBuild(polls, 'other', 10), null)
    assert.equal(timeToBuild(polls, 'new', 70), 13)
  })
})

describe('hopPrice', () => {
  test('is the front latency minus the direct one, at p50 and p99', () => {
    assert.deepEqual(hopPrice({ p50: 1.2, p99: 4, max: 9 }, { p50: 1.5, p99: 6.25, max: 30 }), { p50Ms: 0.3, p99Ms: 2.25 })
  })
})
