// The named rules preflight applies to several variables together, before anything is changed, and
// the address the scripts probe.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, test } from 'node:test'
import { readConfig, type Env, type SfConfig } from '../../../lib/env.ts'
import { urlOf } from '../../../lib/probe.ts'
import { probeHostFor, vegaRules } from '../../../lib/vega/preflight.ts'

/** The spec's warning (docs/specs/sf-self-deploy.md), which the refusal must carry. */
const warning = 'do not bind public 0.0.0.0 unless a proxy/firewall owns access control'

function configFor(t: { after: (fn: () => void) => void }, env: Env): SfConfig {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sf-preflight-'))
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }))
  const checkout = path.join(dir, 'sf')
  fs.mkdirSync(checkout)
  return readConfig(env, { checkout, home: dir })
}

/** The problems the rules find, by rule name. */
function problems(config: SfConfig): Record<string, string> {
  return Object.fromEntries(vegaRules.flatMap((rule) => {
    const problem = rule(config)
    return problem === null ? [] : [[rule.name, problem]]
  }))
}

describe('vegaRules', () => {
  test('find nothing wrong with the defaults', (t) => {
    assert.deepEqual(problems(configFor(t, {})), {})
  })

  test('refuse binding every interface without SF_VEGA_ALLOW_PUBLIC, with the spec\'s warning', (t) => {
    for (const bind of ['0.0.0.0', '::']) {
      const found = problems(configFor(t, { SF_VEGA_BIND: bind }))
      assert.deepEqual(Object.keys(found), ['publicBindNeedsConsent'], bind)
      const message = found.publicBindNeedsConsent!
      assert.ok(message.startsWith(`SF_VEGA_BIND=${JSON.stringify(bind)}: `), message)
      assert.ok(message.toLowerCase().includes(warning), `${message} carries the warning`)
      assert.match(message, /SF_VEGA_ALLOW_PUBLIC=1/)
    }
  })

  test('allow binding every interface with SF_VEGA_ALLOW_PUBLIC=1', (t) => {
    for (const bind of ['0.0.0.0', '::']) {
      assert.deepEqual(problems(configFor(t, { SF_VEGA_BIND: bind, SF_VEGA_ALLOW_PUBLIC: '1' })), {}, bind)
    }
    assert.deepEqual(Object.keys(problems(configFor(t, { SF_VEGA_BIND: '0.0.0.0', SF_VEGA_ALLOW_PUBLIC: '0' }))), ['publicBindNeedsConsent'])
  })

  test('behind the front, refuse a port whose next two ports do not exist (the slots probe on them)', (t) => {
    assert.deepEqual(problems(configFor(t, { SF_VEGA_PORT: '65534' })), {
      frontNeedsTwoProbePorts: 'SF_VEGA_PORT=65534: behind the front the servers publish the next two ports for their own probes; use 65533 or lower, or SF_VEGA_FRONT=none',
    })
    assert.deepEqual(problems(configFor(t, { SF_VEGA_PORT: '65533', SF_VEGA_METRICS_PORT: '65000' })), {})
    assert.deepEqual(problems(configFor(t, { SF_VEGA_PORT: '65534', SF_VEGA_FRONT: 'none' })), {})
  })

  test("behind the front, the front's metrics port is SF_VEGA_PORT + 3 unless set, and may not be the port or a slot's probe port", (t) => {
    assert.equal(configFor(t, { SF_VEGA_PORT: '4100' }).SF_VEGA_METRICS_PORT, 4103)
    assert.deepEqual(problems(configFor(t, { SF_VEGA_PORT: '4100', SF_VEGA_METRICS_PORT: '9101' })), {})
    assert.deepEqual(problems(configFor(t, { SF_VEGA_PORT: '4100', SF_VEGA_METRICS_PORT: '4102' })), {
      frontMetricsPortApart: "SF_VEGA_METRICS_PORT=4102: it is slot b's probe port (SF_VEGA_PORT + 2); choose another port (the default is SF_VEGA_PORT + 3, 4103)",
    })
    assert.match(problems(configFor(t, { SF_VEGA_PORT: '4100', SF_VEGA_METRICS_PORT: '4100' })).frontMetricsPortApart ?? '', /^SF_VEGA_METRICS_PORT=4100: it is SF_VEGA_PORT itself;/)
    assert.deepEqual(problems(configFor(t, { SF_VEGA_PORT: '65533' })), {
      frontMetricsPortApart: "SF_VEGA_PORT=65533: the front's metrics port defaults to SF_VEGA_PORT + 3, past 65535; set SF_VEGA_METRICS_PORT to a free port",
    })
    assert.deepEqual(problems(configFor(t, { SF_VEGA_PORT: '4100', SF_VEGA_METRICS_PORT: '4101', SF_VEGA_FRONT: 'none' })), {}, 'no front, no metrics port')
  })

  test('refuse a stop time not over the drain grace, naming the minimum', (t) => {
    for (const stop of ['600', '30']) {
      const found = problems(configFor(t, { SF_VEGA_DRAIN_STOP_TIME: stop }))
      assert.deepEqual(found, {
        stopTimeCoversDrain: `SF_VEGA_DRAIN_STOP_TIME=${stop}: docker stop would kill the server before its drain cap SF_RPC_SHUTDOWN_GRACE_MS=600000 ms; make it more than 600 (the default keeps a 10 s margin: 610)`,
      })
    }
    const shortGrace = problems(configFor(t, { SF_VEGA_DRAIN_STOP_TIME: '5', SF_RPC_SHUTDOWN_GRACE_MS: '5000' }))
    assert.match(shortGrace.stopTimeCoversDrain ?? '', /SF_RPC_SHUTDOWN_GRACE_MS=5000 ms; make it more than 5 \(the default keeps a 10 s margin: 15\)$/)
  })

  test('allow a stop time over the grace', (t) => {
    assert.deepEqual(problems(configFor(t, { SF_VEGA_DRAIN_STOP_TIME: '610' })), {})
    assert.deepEqual(problems(configFor(t, { SF_VEGA_DRAIN_STOP_TIME: '20', SF_RPC_SHUTDOWN_GRACE_MS: '5000' })), {})
  })

  test('report both problems at once', (t) => {
    assert.deepEqual(Object.keys(problems(configFor(t, { SF_VEGA_BIND: '0.0.0.0', SF_VEGA_DRAIN_STOP_TIME: '1' }))), ['publicBindNeedsConsent', 'stopTimeCoversDrain'])
  })
})

describe('the probe address', () => {
  test('is the bind address, loopback for any-address, or SF_VEGA_PROBE_HOST when set', (t) => {
    assert.equal(probeHostFor(configFor(t, { SF_VEGA_BIND: '100.64.0.7' })), '100.64.0.7')
    assert.equal(probeHostFor(configFor(t, { SF_VEGA_BIND: '0.0.0.0', SF_VEGA_ALLOW_PUBLIC: '1' })), '127.0.0.1')
    assert.equal(probeHostFor(configFor(t, { SF_VEGA_BIND: '::', SF_VEGA_ALLOW_PUBLIC: '1' })), '127.0.0.1')
    assert.equal(probeHostFor(configFor(t, { SF_VEGA_BIND: '0.0.0.0', SF_VEGA_ALLOW_PUBLIC: '1', SF_VEGA_PROBE_HOST: 'vega.tail1234.ts.net' })), 'vega.tail1234.ts.net')
  })

  test('urlOf brackets an IPv6 address', () => {
    assert.equal(urlOf('127.0.0.1', 4000), 'http://127.0.0.1:4000')
    assert.equal(urlOf('vega.tail1234.ts.net', 4001), 'http://vega.tail1234.ts.net:4001')
    assert.equal(urlOf('::1', 4001), 'http://[::1]:4001')
  })
})
