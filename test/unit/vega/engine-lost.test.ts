import assert from 'node:assert/strict'
import { test } from 'node:test'
import { CommandError } from '../../../lib/errors.ts'
import { EngineLostError, engineLost, engineLostMessage, engineUnreachable } from '../../../lib/vega/engine-lost.ts'

// What the docker CLI (28.2) printed with its engine gone, captured here.
const gone = 'Cannot connect to the Docker daemon at unix:///tmp/h14ops-nothing.sock. Is the docker daemon running?'

test("docker's own words for an engine it cannot reach are told from a container's failure", () => {
  assert.equal(engineUnreachable(`docker container inspect sf-vega-candidate failed: ${gone}`), true)
  assert.equal(engineUnreachable('http://127.0.0.1:4001/api/ready answered 503 after 90 s'), false)
  assert.equal(engineUnreachable('container sf-vega-candidate exited with 1'), false)
})

test('an engine lost while the candidate is probed: prod was not touched, the candidate may be left, the next run removes it', () => {
  // converge drained a server a killed run had left before this run's candidate started: not this run's change.
  const message = engineLostMessage('sf-vega', 'probe sf-vega-candidate', ['preflight', 'lock', 'drain sf-vega (docker stop --time 610)', 'converge', 'start sf-vega-candidate', 'probe sf-vega-candidate'])
  assert.match(message, /^the Docker Engine stopped answering during probe sf-vega-candidate: sf-vega was not touched .*sf-vega-candidate was started and may be left behind; .*the next npm run docker:vega:upgrade removes it and starts over$/)
})

test('an engine lost after the switch began says prod may be either server, and that the next run keeps the one that passes', () => {
  const message = engineLostMessage('sf-vega', 'settle: sf-vega-candidate green', ['start sf-vega-candidate', 'probe sf-vega-candidate', 'switch the front to slot b (sf-vega-candidate)', 'settle: sf-vega-candidate green'])
  assert.match(message, /during settle: .*after sf-vega had begun to change over to the new build: .*keeps the one server that passes its probes/)
  assert.match(engineLostMessage('sf-vega', 'drain sf-vega (docker stop --time 40)', ['start sf-vega-candidate', 'probe sf-vega-candidate', 'drain sf-vega (docker stop --time 40)']), /had begun to change over/)
})

test('an engine lost before anything was started says nothing was changed', () => {
  assert.match(engineLostMessage('sf-vega', 'bundle dist/loader.js', ['preflight', 'lock', 'converge']), /during bundle dist\/loader\.js, before anything of sf-vega's was changed/)
})

test("a failure naming docker's unreachable engine becomes an EngineLostError, whatever the error class", async () => {
  const env = { PATH: process.env.PATH ?? '', DOCKER_HOST: 'unix:///nonexistent/docker.sock' }
  const caught = new CommandError(`docker run exited with 1:\n${gone}`, 1, gone)
  const lost = await engineLost(caught, { env, name: 'sf-vega', phase: 'start sf-vega-candidate', reached: ['start sf-vega-candidate'] })
  assert.ok(lost instanceof EngineLostError)
  assert.match(lost.message, /stopped answering during start sf-vega-candidate/)
})
