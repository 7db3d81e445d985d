// docker:vega:status's text: what a person reads to find what is wrong and the command that fixes it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatStatus, type VegaStatus } from '../../../lib/vega/status.ts'

function status(over: Partial<VegaStatus> = {}): VegaStatus {
  return {
    name: 'sf-server-vega',
    url: 'http://127.0.0.1:4000',
    container: { running: true, exitCode: 0, health: 'healthy', image: 'sf-source-server:local', imageId: `sha256:${'1'.repeat(64)}`, buildId: 'build-old', startedAt: '', uptimeSeconds: 22 },
    ready: { status: 200, reason: null },
    version: { commit: 'b'.repeat(40), dirty: false, buildId: 'build-new', builtAt: '2026-11-30T04:00:00.000Z' },
    releases: { current: null, previous: null },
    lock: { state: 'free' },
    history: [],
    front: { running: true, exitCode: 0, image: 'haproxy:lts', restartCount: 0, slots: [
      { slot: 'a', addr: '172.18.0.2', up: true, checked: true, maint: true, draining: false, sessions: 0, total: 10, errors: 0 },
      { slot: 'b', addr: '172.18.0.3', up: true, checked: true, maint: false, draining: false, sessions: 0, total: 4, errors: 0 },
    ], error: null },
    leftovers: [],
    ...over,
  }
}

test('a front and a server stopped by hand are named with their exit codes and the one command that brings them back', () => {
  const text = formatStatus(status({
    container: { ...status().container!, running: false, exitCode: 137, uptimeSeconds: null },
    front: { ...status().front!, running: false, exitCode: 137, slots: null },
    ready: { status: null, reason: 'ECONNREFUSED' },
  }))
  assert.match(text, /\n {2}container: stopped \(exit code 137\), build build-old, image /)
  assert.match(text, /\n {2}front: stopped \(exit code 137\), image haproxy:lts: nothing answers on http:\/\/127\.0\.0\.1:4000\n/)
  assert.match(text, /\n {2}bring it back: docker start sf-server-vega-front sf-server-vega\n/)
  assert.doesNotMatch(text, /docker:vega:status/, 'it does not send the reader back to itself')
})

test('a running front and server print no command to bring them back', () => {
  assert.doesNotMatch(formatStatus(status()), /bring it back/)
})

test('a half-done upgrade: the container line names its build, and the leftover candidate the front routes to is named with what the next upgrade does', () => {
  const text = formatStatus(status({ leftovers: [{ name: 'sf-server-vega-candidate', running: true, exitCode: 0, buildId: 'build-new', slot: 'b' }] }))
  assert.match(text, /container: running \(healthy\), up 22s, build build-old,/)
  assert.match(text, /\n {2}leftover: sf-server-vega-candidate \(running, build build-new\), which the front routes to \(slot b\): a run that did not finish left it; the next npm run docker:vega:upgrade keeps it as sf-server-vega if it passes its probes, and removes the rest\n/)
})

test('a candidate that exited is a leftover the next upgrade removes', () => {
  const text = formatStatus(status({ leftovers: [{ name: 'sf-server-vega-candidate', running: false, exitCode: 143, buildId: 'build-new', slot: 'a' }] }))
  assert.match(text, /leftover: sf-server-vega-candidate \(exited 143, build build-new\): a run that did not finish left it; the next npm run docker:vega:upgrade removes it\n/)
})
