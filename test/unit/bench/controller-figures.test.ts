// bench:controller's figures from what its runs recorded: pure, so every case is built inline.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { idleFigures, procCpuTicks, procRssKiB, rolloutShares, spread } from '../../../lib/bench/controller-figures.ts'
import { accessLog } from '../../../lib/bench/registry.ts'

describe('spread', () => {
  test('is the min, the median and the max, the median of an even count the mean of the middle two', () => {
    assert.deepEqual(spread([9, 1, 5]), { min: 1, median: 5, max: 9 })
    assert.deepEqual(spread([4, 1, 3, 2]), { min: 1, median: 2.5, max: 4 })
    assert.deepEqual(spread([12.34]), { min: 12.3, median: 12.3, max: 12.3 })
  })

  test('of no value is all 0', () => {
    assert.deepEqual(spread([]), { min: 0, median: 0, max: 0 })
  })
})

describe('/proc of the controller', () => {
  test("its CPU is utime plus stime and its reaped children's, counted from after the name, which may hold spaces and parentheses", () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 9000 0 12 0 350 125 30 7 20 0 11 0 100 1000000 12000 18446744073709551615'
    assert.equal(procCpuTicks(stat), 512)
  })

  test('a line that is not /proc/<pid>/stat is refused', () => {
    assert.throws(() => procCpuTicks('nothing here'), /not a \/proc\/<pid>\/stat line/)
  })

  test('its memory is VmRSS in KiB, or null when it has none', () => {
    assert.equal(procRssKiB('Name:\tnode\nVmPeak:\t  900000 kB\nVmRSS:\t   61234 kB\nThreads:\t11\n'), 61234)
    assert.equal(procRssKiB('Name:\tnode\nState:\tZ (zombie)\n'), null)
  })
})

describe('rolloutShares', () => {
  test('splits each host into the time until its rollout started and the rollout, against the promote start', () => {
    const start = Date.parse('2026-11-30T12:00:00.000Z')
    const rollout = (startedAt: string, finishedAt: string) => ({ digest: 'sha256:b', startedAt, finishedAt, outcome: 'upgraded' as const, message: '' })
    const shares = rolloutShares(start, [
      { target: 'h1', lastRollout: rollout('2026-11-30T12:00:09.420Z', '2026-11-30T12:00:21.000Z') },
      { target: 'h2', lastRollout: rollout('2026-11-30T12:00:14.000Z', '2026-11-30T12:00:30.050Z') },
    ])
    assert.deepEqual(shares, [
      { host: 'h1', untilRolloutS: 9.4, rolloutS: 11.6 },
      { host: 'h2', untilRolloutS: 14, rolloutS: 16.1 },
    ])
  })

  test('a host that recorded no rollout is an error, not a zero', () => {
    assert.throws(() => rolloutShares(0, [{ target: 'h1', lastRollout: null }]), /h1 recorded no rollout/)
  })
})

describe('idleFigures', () => {
  const check = (requests: number, cpuMs: number) => ({ at: '2026-11-30T12:00:00.000Z', outcome: 'serves prod', requests, cpuMs })

  test('counts requests and CPU per check both ways, the share of a core over the window, and the memory', () => {
    const figures = idleFigures({
      checks: [check(1, 2.5), check(1, 3.5), check(1, 3), check(1, 4)],
      proc: [
        { before: { cpuTicks: 100, rssKiB: 60 * 1024 }, after: { cpuTicks: 104, rssKiB: 62 * 1024 } },
        { before: { cpuTicks: 50, rssKiB: 64 * 1024 }, after: { cpuTicks: 52, rssKiB: 64 * 1024 } },
      ],
      clockTicksPerSecond: 100,
      loggedRequests: 4,
      windowS: 10,
    })
    assert.deepEqual(figures, {
      checks: 4,
      outcomes: ['serves prod'],
      requestsPerCheck: { byState: { min: 1, median: 1, max: 1 }, byRegistryLog: 1 },
      // 6 ticks of 10 ms over 4 checks; 60 ms of 2 × 10 s.
      cpuMsPerCheck: { byState: { min: 2.5, median: 3.3, max: 4 }, byProc: 15 },
      cpuPercentOfOneCore: 0.3,
      rssMiB: { start: { min: 60, median: 62, max: 64 }, end: { min: 62, median: 63, max: 64 } },
      windowS: 10,
    })
  })
})

describe("the registry's access log", () => {
  test('yields each request with its method, path, status and user agent, and skips every other line', () => {
    const output = [
      'time="2026-11-30T15:10:42Z" level=warning msg="No HTTP secret provided"',
      '127.0.0.1 - - [30/Nov/2026:15:10:44 +0000] "HEAD /v2/sf/sf-server/manifests/prod HTTP/1.1" 200 0 "" "undici"',
      '127.0.0.1 - - [30/Nov/2026:15:10:45 +0000] "GET /v2/ HTTP/1.1" 200 2 "" "curl/7.88.1"',
      '',
    ].join('\n')
    assert.deepEqual(accessLog(output), [
      { method: 'HEAD', path: '/v2/sf/sf-server/manifests/prod', status: 200, userAgent: 'undici' },
      { method: 'GET', path: '/v2/', status: 200, userAgent: 'curl/7.88.1' },
    ])
  })
})
