import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { hostName, hostProblem } from '../../../lib/server/allowed-hosts.ts'

const rules = { bindHost: '127.0.0.1', allowedHosts: ['sf.example.com', '.tail.example'] }

describe('hostProblem', () => {
  test('answers addresses and loopback names, with or without a port', () => {
    for (const host of ['127.0.0.1:4000', '127.0.0.1', '[::1]:4000', '100.64.0.7:4000', 'localhost:4000', 'LOCALHOST', 'app.localhost:4000', 'localhost.']) {
      assert.equal(hostProblem(host, rules), null, host)
    }
  })

  test('answers the bind host name and the names in SF_ALLOWED_HOSTS, a leading dot allowing the names under it', () => {
    assert.equal(hostProblem('vega:4000', { bindHost: 'vega', allowedHosts: [] }), null)
    for (const host of ['sf.example.com:4000', 'tail.example', 'vega.tail.example:4000']) assert.equal(hostProblem(host, rules), null, host)
  })

  test('refuses any other name, naming it and the fix', () => {
    for (const host of ['evil.example:4000', 'example.com', 'xsf.example.com', 'localhost.evil.example']) {
      assert.match(hostProblem(host, rules) ?? '', /is not a name this server answers to \(DNS rebinding protection\): .*add ".*" to SF_ALLOWED_HOSTS/, host)
    }
    assert.match(hostProblem(null, rules) ?? '', /no Host header/)
  })

  test('reads the name out of a Host header', () => {
    assert.equal(hostName('Example.COM:80'), 'example.com')
    assert.equal(hostName('[::1]:4000'), '::1')
    assert.equal(hostName('::1'), '::1')
  })
})
