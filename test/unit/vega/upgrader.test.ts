// The upgrader container a server starts: its exact docker run arguments, and the deployment
// variables it is given.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { runDetachedArgs } from '../../../lib/docker/args.ts'
import { readConfig } from '../../../lib/env.ts'
import { deploymentEnv } from '../../../lib/vega/deployment.ts'
import { eventsFile, newUpgradeId, upgradeIdPattern, upgraderContainer, type UpgraderInputs } from '../../../lib/vega/upgrader.ts'
import { repoRoot } from '../../../lib/paths.ts'

const inputs: UpgraderInputs = {
  name: 'sf-server-vega',
  id: '20261127T101500Z-a1b2c3',
  action: 'upgrade',
  image: 'sha256:' + 'e'.repeat(64),
  checkout: '/home/mhugo/code/sf',
  workspaceDir: '/home/mhugo/code/other-repo',
  workspacesDir: '/home/mhugo/code',
  sfHome: '/home/mhugo/.sf',
  dockerSocket: '/var/run/docker.sock',
  dockerGid: 998,
  deployment: { SF_VEGA_PORT: '4000', SF_VEGA_FRONT: 'haproxy' },
}

describe('the upgrader container', () => {
  test('renders into the exact docker run arguments: detached, removed on exit, host network and pids, every path at its host path', () => {
    assert.deepEqual(runDetachedArgs(upgraderContainer(inputs)), [
      'run', '--detach', '--rm', '--name', 'sf-server-vega-upgrader', '--restart', 'no', '--stop-signal', 'SIGTERM', '--stop-timeout', '10',
      '--workdir', '/home/mhugo/code/sf', '--pid', 'host', '--network', 'host',
      '--group-add', '998',
      '--env', 'SF_VEGA_PORT=4000', '--env', 'SF_VEGA_FRONT=haproxy', '--env', 'SF_VEGA_NAME=sf-server-vega',
      '--env', 'SF_HOME=/home/mhugo/.sf', '--env', 'SF_WORKSPACE_DIR=/home/mhugo/code/other-repo', '--env', 'SF_WORKSPACES_DIR=/home/mhugo/code',
      '--env', 'SF_DOCKER_SOCKET=/var/run/docker.sock', '--env', 'DOCKER_HOST=unix:///var/run/docker.sock',
      '--env', 'GIT_CONFIG_COUNT=1', '--env', 'GIT_CONFIG_KEY_0=safe.directory', '--env', 'GIT_CONFIG_VALUE_0=/home/mhugo/code/sf',
      '--mount', 'type=bind,source=/home/mhugo/code/sf,target=/home/mhugo/code/sf',
      '--mount', 'type=bind,source=/home/mhugo/code/other-repo,target=/home/mhugo/code/other-repo',
      '--mount', 'type=bind,source=/home/mhugo/code,target=/home/mhugo/code',
      '--mount', 'type=bind,source=/home/mhugo/.sf,target=/home/mhugo/.sf',
      '--mount', 'type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock',
      '--label', 'sf.role=vega-upgrader', '--label', 'sf.vega.name=sf-server-vega', '--label', 'sf.upgrade.id=20261127T101500Z-a1b2c3', '--label', 'sf.upgrade.action=upgrade',
      'sha256:' + 'e'.repeat(64),
      'node', '--import', 'tsx', 'scripts/upgrade-vega-source-server.ts',
      '--events-file', '/home/mhugo/.sf/vega/sf-server-vega/upgrades/20261127T101500Z-a1b2c3.jsonl', '--container', 'sf-server-vega-upgrader',
    ])
  })

  test('passes canary steps to an upgrade as the CLI takes them, and never to a rollback', () => {
    const tail = (u: UpgraderInputs) => upgraderContainer(u).command.slice(-4)
    assert.deepEqual(tail({ ...inputs, canary: [10, 50], stepSeconds: 20 }), ['--canary', '10,50', '--step', '20'])
    assert.deepEqual(upgraderContainer({ ...inputs, canary: [10] }).command.slice(-2), ['--canary', '10'])
    assert.ok(!upgraderContainer({ ...inputs, action: 'rollback', canary: [10] }).command.includes('--canary'))
  })

  test('takes only the deployment variables from deployment.json, whatever else the file holds', () => {
    const planted = { SF_VEGA_PORT: '4100', LD_PRELOAD: '/tmp/evil.so', NODE_OPTIONS: '--require /tmp/evil.js', DOCKER_HOST: 'tcp://elsewhere:2375', SF_ADMIN_TOKEN: 'x'.repeat(20), SF_HOME: '/elsewhere' }
    const env = upgraderContainer({ ...inputs, deployment: planted }).env
    assert.deepEqual(Object.keys(env), ['SF_VEGA_PORT', 'SF_VEGA_NAME', 'SF_HOME', 'SF_WORKSPACE_DIR', 'SF_WORKSPACES_DIR', 'SF_DOCKER_SOCKET', 'DOCKER_HOST', 'GIT_CONFIG_COUNT', 'GIT_CONFIG_KEY_0', 'GIT_CONFIG_VALUE_0'])
    assert.equal(env.SF_VEGA_PORT, '4100')
    assert.equal(env.SF_HOME, '/home/mhugo/.sf')
    assert.equal(env.DOCKER_HOST, 'unix:///var/run/docker.sock')
  })

  test('a rollback runs the rollback script; a workspace that is the checkout is mounted once', () => {
    const spec = upgraderContainer({ ...inputs, action: 'rollback', workspaceDir: inputs.checkout })
    assert.equal(spec.command[3], 'scripts/rollback-vega-source-server.ts')
    assert.deepEqual(spec.mounts.map((m) => m.target), ['/home/mhugo/code/sf', '/home/mhugo/code', '/home/mhugo/.sf', '/var/run/docker.sock'])
  })

  test('ids sort by time and are all a stream may name', () => {
    const id = newUpgradeId(new Date('2026-11-27T10:15:00.123Z'), 'a1b2c3')
    assert.equal(id, '20261127T101500Z-a1b2c3')
    assert.match(id, upgradeIdPattern)
    for (const bad of ['../../admin-token', '20261127T101500Z-a1b2c3/..', '']) assert.doesNotMatch(bad, upgradeIdPattern)
    assert.equal(eventsFile('/h', 'n', id), '/h/vega/n/upgrades/20261127T101500Z-a1b2c3.jsonl')
  })

  test('the deployment record carries the variables the CLI had, as strings, and never a secret or a path it does not need', () => {
    const config = readConfig({ SF_HOME: '/tmp/h', SF_VEGA_PORT: '4100', SF_ALLOWED_HOSTS: 'a.example,b.example', SF_VEGA_ALLOW_PUBLIC: '1', SF_ADMIN_TOKEN: 'x'.repeat(20), SF_BASE_IMAGE: 'sf-node-base:20-local' }, { checkout: repoRoot, home: '/tmp' })
    const env = deploymentEnv(config)
    assert.equal(env.SF_VEGA_PORT, '4100')
    assert.equal(env.SF_ALLOWED_HOSTS, 'a.example,b.example')
    assert.equal(env.SF_VEGA_ALLOW_PUBLIC, '1')
    assert.equal(env.SF_BASE_IMAGE, 'sf-node-base:20-local')
    assert.equal(env.SF_VEGA_FRONT_IMAGE, undefined, 'unset stays unset')
    assert.equal(env.SF_ADMIN_TOKEN, undefined)
    assert.equal(env.SF_HOME, undefined)
  })
})
