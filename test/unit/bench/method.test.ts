// The method written beside the figures: pure, so the plans are built inline.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fixedPlan, probeRoutes } from '../../../lib/bench/bench-upgrade.ts'
import { usersPlan } from '../../../lib/bench/judged.ts'
import { loadMethod } from '../../../lib/bench/method.ts'

describe('loadMethod', () => {
  test('names the one path of a single route, and clients that ask as fast as answers come', () => {
    const m = loadMethod({ ...fixedPlan, routes: probeRoutes(8), slowRequests: 4, slowHoldMs: 3000 })
    assert.equal(m.clients, 8)
    assert.equal(m.request, 'GET /api/healthz')
    assert.equal(m.pacing, 'each client sends its next request as soon as the previous one is answered; after an error it pauses 10 ms')
    assert.equal(m.runsAfterMs, '2000, then on until at least 5000 requests are measured (at most 60000 ms more)')
  })

  test("names each route's clients, their pause between answers, and no floor of requests when there is none", () => {
    const m = loadMethod(usersPlan)
    assert.equal(m.clients, 5)
    assert.equal(m.request, 'GET / (3 clients), GET /api/projects (2 clients)')
    assert.match(String(m.pacing), /^each client pauses 20 ms after each answer/)
    assert.equal(m.runsAfterMs, 2000)
  })
})
