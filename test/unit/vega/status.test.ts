// docker:vega:status's text: what a person reads to find what is wrong and the command that fixes it.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatStatus, type FrontContainerStatus, type VegaStatus } from '../../../lib/vega/status.ts'

function frontContainer(over: Partial<FrontContainerStatus> = {}): FrontContainerStatus {
  return { name: 'sf-server-vega-front', running: true, exitCode: 0, image: 'haproxy:lts', haproxy: '2.6.12-1+deb12u4', since: '2026-11-30T04:00:01Z', holdsListeners: true, stopping: false, deadNamespace: false, publishesPort: false, ...over }
}

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
      { slot: 'a', addr: '172.18.0.2', up: true, checked: true, maint: true, draining: false, backup: true, sessions: 0, total: 10, errors: 0, weight: 100 },
      { slot: 'b', addr: '172.18.0.3', up: true, checked: true, maint: false, draining: false, backup: false, sessions: 0, total: 4, errors: 0, weight: 100 },
    ], error: null,
    holder: { name: 'sf-server-vega-port', running: true, exitCode: 0, since: '2026-11-30T04:00:00Z', ports: ['127.0.0.1:4000'] },
    containers: [frontContainer()] },
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

test('the port holder and each front container are shown, with its HAProxy, since when, and which one holds the listeners', () => {
  const text = formatStatus(status({
    front: { ...status().front!, containers: [frontContainer({ holdsListeners: false, stopping: true }), frontContainer({ name: 'sf-server-vega-front-next', haproxy: '2.6.13', since: '2026-11-30T05:00:00Z' })] },
  }))
  assert.match(text, /\n {4}port holder sf-server-vega-port: running since 2026-11-30T04:00:00Z, publishes 127\.0\.0\.1:4000\n/)
  assert.match(text, /\n {4}sf-server-vega-front: running since 2026-11-30T04:00:01Z, HAProxy 2\.6\.12-1\+deb12u4, image haproxy:lts; stopping: finishes what it serves\n/)
  assert.match(text, /\n {4}sf-server-vega-front-next: running since 2026-11-30T05:00:00Z, HAProxy 2\.6\.13, image haproxy:lts; holds the listeners\n/)
})

test('a front left in a namespace its restarted holder no longer has is named, with the command that fixes it', () => {
  const text = formatStatus(status({ front: { ...status().front!, containers: [frontContainer({ holdsListeners: false, deadNamespace: true })] } }))
  assert.match(text, /sf-server-vega-front: running since \S+, HAProxy \S+, image haproxy:lts; in a namespace its holder left, nothing reaches it: run npm run docker:vega:front\n/)
})

test('a stopped holder comes first in the command that brings things back', () => {
  const text = formatStatus(status({ front: { ...status().front!, running: false, exitCode: 137, holder: { ...status().front!.holder!, running: false, exitCode: 137 } } }))
  assert.match(text, /\n {2}bring it back: docker start sf-server-vega-port sf-server-vega-front\n/)
})
