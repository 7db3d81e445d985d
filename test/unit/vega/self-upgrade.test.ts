// What POST /api/server-upgrade accepts before anything is started: the body, the Origin, and where
// the checkout is; and reading the upgrader's events by line.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { foreignOrigin } from '../../../lib/server/same-origin.ts'
import { checkoutOf, parseSelfUpgradeBody, prodName, SelfUpgradeRefused } from '../../../lib/vega/self-upgrade.ts'
import { parseEvents } from '../../../lib/vega/upgrade-events.ts'

describe('the upgrade request body', () => {
  test('is empty, {} or {expectCommit}', () => {
    assert.deepEqual(parseSelfUpgradeBody(''), {})
    assert.deepEqual(parseSelfUpgradeBody('{}'), {})
    assert.deepEqual(parseSelfUpgradeBody('{"expectCommit":"0123456789abcdef"}'), { expectCommit: '0123456789abcdef' })
  })

  test('takes canary steps and their length, as the CLI does', () => {
    assert.deepEqual(parseSelfUpgradeBody('{"canary":[10,50],"step":20}'), { canary: [10, 50], step: 20 })
    assert.deepEqual(parseSelfUpgradeBody('{"canary":[25]}'), { canary: [25] })
  })

  test('anything else is a 400 that names the problem', () => {
    for (const [body, message] of [
      ['{', /not JSON/],
      ['[]', /JSON object/],
      ['"x"', /JSON object/],
      ['{"expectCommit":"HEAD"}', /7 to 40 lower-case hex/],
      ['{"expectCommit":12}', /7 to 40/],
      ['{"force":true}', /unknown field\(s\) "force"/],
      ['{"canary":"10,50"}', /canary "10,50": must be a list of shares in %/],
      ['{"canary":[10,100]}', /canary \[10,100\]: must be up to 10 shares in %, each a whole number from 1 to 99/],
      ['{"canary":[50,10]}', /the shares must rise/],
      ['{"canary":[10],"step":0}', /step 0: must be a whole number of seconds from 1 to 86400/],
      ['{"step":10}', /step: .* needs canary/],
    ] as const) {
      assert.throws(() => parseSelfUpgradeBody(body), (e: unknown) => e instanceof SelfUpgradeRefused && e.status === 400 && message.test(e.message), body)
    }
  })
})

describe('foreignOrigin', () => {
  test('no Origin (a script) and this server’s own origin pass', () => {
    assert.equal(foreignOrigin(null, '127.0.0.1:4000'), null)
    assert.equal(foreignOrigin('http://127.0.0.1:4000', '127.0.0.1:4000'), null)
    assert.equal(foreignOrigin('http://Vega.Example:4000', 'vega.example:4000'), null)
  })
  test('another origin, another port, "null" or a non-http scheme are refused, naming the origin', () => {
    for (const origin of ['http://evil.example', 'http://127.0.0.1:4001', 'null', 'file://', 'chrome-extension://abc']) {
      assert.match(foreignOrigin(origin, '127.0.0.1:4000') ?? '', new RegExp(`origin ${origin.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is refused`), origin)
    }
  })
})

test('the checkout is the folder holding the manifest’s dist/, in a container or not', () => {
  assert.equal(checkoutOf('/opt/sf/dist/releases/b1.json'), '/opt/sf')
  assert.equal(checkoutOf('/home/me/sf/dist/sf-release-manifest.json'), '/home/me/sf')
})

test('a server started as the candidate belongs to the prod name', () => {
  assert.equal(prodName('sf-server-vega-candidate'), 'sf-server-vega')
  assert.equal(prodName('sf-server-vega'), 'sf-server-vega')
})

test('events are read by line, after the last one seen, and a line still being written is left for later', () => {
  const text = '{"event":"requested"}\n{"event":"phase-start","phase":"lock"}\nnot json\n{"event":"outc'
  assert.deepEqual(parseEvents(text, 0).map((e) => [e.line, e.event]), [[1, 'requested'], [2, 'phase-start'], [3, 'note']])
  assert.deepEqual(parseEvents(text, 2).map((e) => e.line), [3])
  assert.deepEqual(parseEvents(text + 'ome"}\n', 3).map((e) => [e.line, e.event]), [[4, 'outcome']])
})
