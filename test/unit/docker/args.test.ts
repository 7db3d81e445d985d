import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { buildArgs, containerLabelValuesArgs, containersPublishingArgs, containersWithLabelsArgs, imageExistsArgs, imageInspectArgs, imagesWithLabelsArgs, killArgs, pullArgs, pushArgs, removeContainersArgs, removeImagesArgs, renameArgs, restartArgs, runArgs, runDetachedArgs, startArgs, stopArgs, tagArgs } from '../../../lib/docker/args.ts'

describe('buildArgs', () => {
  test('names the Dockerfile and tag, then build args and labels in the order given, the context last', () => {
    const args = buildArgs({
      dockerfile: '/tmp/ctx/Dockerfile',
      context: '/tmp/ctx',
      tag: 'sf-node-base:20.19.0-local',
      buildArgs: { NODE_VERSION: '20.19.0', EMPTY: '' },
      labels: { 'sf.base.node-version': '20.19.0', 'org.opencontainers.image.description': 'a b=c' },
    })
    assert.deepEqual(args, [
      'build',
      '--file', '/tmp/ctx/Dockerfile',
      '--tag', 'sf-node-base:20.19.0-local',
      '--build-arg', 'NODE_VERSION=20.19.0',
      '--build-arg', 'EMPTY=',
      '--label', 'sf.base.node-version=20.19.0',
      '--label', 'org.opencontainers.image.description=a b=c',
      '/tmp/ctx',
    ])
  })

  test('has no --build-arg or --label when there are none', () => {
    const args = buildArgs({ dockerfile: 'Dockerfile', context: '.', tag: 'x:1', buildArgs: {}, labels: {} })
    assert.deepEqual(args, ['build', '--file', 'Dockerfile', '--tag', 'x:1', '.'])
  })
})

describe('image inspection and removal', () => {
  test('imageInspectArgs prints one template of one image', () => {
    assert.deepEqual(imageInspectArgs('sf-node-base:1', '{{.Size}}'), ['image', 'inspect', '--format', '{{.Size}}', 'sf-node-base:1'])
  })

  test('imageExistsArgs inspects the image id (exit code 0 exactly when it exists)', () => {
    assert.deepEqual(imageExistsArgs('sf-node-base:1'), ['image', 'inspect', '--format', '{{.Id}}', 'sf-node-base:1'])
  })

  test('imagesWithLabelsArgs filters on every label and prints full ids', () => {
    assert.deepEqual(imagesWithLabelsArgs({ 'sf.test-run': 'ab12', tier: 'container' }), [
      'image', 'ls', '--quiet', '--no-trunc',
      '--filter', 'label=sf.test-run=ab12',
      '--filter', 'label=tier=container',
    ])
  })

  test('removeImagesArgs forces removal of every image given', () => {
    assert.deepEqual(removeImagesArgs(['a:1', 'sha256:ff']), ['image', 'rm', '--force', 'a:1', 'sha256:ff'])
  })
})

describe('registry', () => {
  test('pulls quietly, tags, and pushes (quietly when asked)', () => {
    assert.deepEqual(pullArgs('haproxy:lts'), ['pull', '--quiet', 'haproxy:lts'])
    assert.deepEqual(tagArgs('sf-server:0.1.0-abc', '127.0.0.1:5000/sf-server:0.1.0-abc'), ['tag', 'sf-server:0.1.0-abc', '127.0.0.1:5000/sf-server:0.1.0-abc'])
    assert.deepEqual(pushArgs('127.0.0.1:5000/sf-server:t'), ['push', '127.0.0.1:5000/sf-server:t'])
    assert.deepEqual(pushArgs('127.0.0.1:5000/sf-server:t', { quiet: true }), ['push', '--quiet', '127.0.0.1:5000/sf-server:t'])
  })
})

describe('runArgs', () => {
  test('puts every option before the image and the command after it', () => {
    const args = runArgs({
      image: 'sf-node-base:1',
      command: ['node', '-e', 'console.log(1)'],
      name: 'sf-test-ab12-node',
      remove: true,
      user: '1000',
      workdir: '/tmp',
      network: 'none',
      env: { A: '1', B: 'x=y' },
      labels: { 'sf.test-run': 'ab12' },
      mounts: [
        { source: '/var/run/docker.sock', target: '/var/run/docker.sock' },
        { source: '/srv/data', target: '/data', readOnly: true },
      ],
    })
    assert.deepEqual(args, [
      'run',
      '--rm',
      '--name', 'sf-test-ab12-node',
      '--label', 'sf.test-run=ab12',
      '--user', '1000',
      '--workdir', '/tmp',
      '--network', 'none',
      '--env', 'A=1',
      '--env', 'B=x=y',
      '--volume', '/var/run/docker.sock:/var/run/docker.sock',
      '--volume', '/srv/data:/data:ro',
      'sf-node-base:1',
      'node', '-e', 'console.log(1)',
    ])
  })

  test('with only an image runs its default command', () => {
    assert.deepEqual(runArgs({ image: 'x:1' }), ['run', 'x:1'])
  })
})

describe('containers', () => {
  test('containersWithLabelsArgs lists stopped containers too', () => {
    assert.deepEqual(containersWithLabelsArgs({ 'sf.test-run': 'ab12' }), [
      'container', 'ls', '--all', '--quiet', '--no-trunc', '--filter', 'label=sf.test-run=ab12',
    ])
  })

  test('removeContainersArgs stops, removes and drops anonymous volumes', () => {
    assert.deepEqual(removeContainersArgs(['c1', 'c2']), ['container', 'rm', '--force', '--volumes', 'c1', 'c2'])
  })
})

describe('long-running containers', () => {
  test('runDetachedArgs puts the policy, ports, env, mounts and labels before the image, the command after it', () => {
    const args = runDetachedArgs({
      name: 'sf-test-ab12-server',
      image: 'sf-source-server:local',
      command: ['node', 'server.js', '--port', '4000'],
      env: { A: '1', B: 'x=y' },
      mounts: [
        { source: '/srv/sf', target: '/opt/sf', readOnly: true },
        { source: '/var/run/docker.sock', target: '/var/run/docker.sock' },
      ],
      ports: [
        { bind: '127.0.0.1', hostPort: 41234, containerPort: 4000 },
        { bind: '::1', hostPort: 41235, containerPort: 4001 },
      ],
      groupAdd: ['998', '20'],
      restart: 'no',
      stopSignal: 'SIGINT',
      stopTimeout: 15,
      labels: { 'sf.test-run': 'ab12' },
    })
    assert.deepEqual(args, [
      'run', '--detach',
      '--name', 'sf-test-ab12-server',
      '--restart', 'no',
      '--stop-signal', 'SIGINT',
      '--stop-timeout', '15',
      '--group-add', '998', '--group-add', '20',
      '--publish', '127.0.0.1:41234:4000', '--publish', '::1:41235:4001',
      '--env', 'A=1', '--env', 'B=x=y',
      '--mount', 'type=bind,source=/srv/sf,target=/opt/sf,readonly',
      '--mount', 'type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock',
      '--label', 'sf.test-run=ab12',
      'sf-source-server:local',
      'node', 'server.js', '--port', '4000',
    ])
  })

  test('runDetachedArgs with nothing optional has only the policy, the image and the command', () => {
    const args = runDetachedArgs({
      name: 'c', image: 'x:1', command: [], env: {}, mounts: [], ports: [], groupAdd: [], restart: 'unless-stopped', stopSignal: 'SIGTERM', stopTimeout: 610, labels: {},
    })
    assert.deepEqual(args, ['run', '--detach', '--name', 'c', '--restart', 'unless-stopped', '--stop-signal', 'SIGTERM', '--stop-timeout', '610', 'x:1'])
  })

  test('stopArgs drains for the given seconds before SIGKILL', () => {
    assert.deepEqual(stopArgs('sf-server-vega', 610), ['stop', '--time', '610', 'sf-server-vega'])
  })

  test('killArgs sends the named signal to the container', () => {
    assert.deepEqual(killArgs('sf-server-vega-front', 'USR2'), ['kill', '--signal', 'USR2', 'sf-server-vega-front'])
  })

  test('renameArgs and startArgs name the container', () => {
    assert.deepEqual(renameArgs('sf-server-vega', 'sf-server-vega-previous'), ['rename', 'sf-server-vega', 'sf-server-vega-previous'])
    assert.deepEqual(startArgs('sf-server-vega-previous'), ['start', 'sf-server-vega-previous'])
  })

  test('restartArgs gives the container its stop time before SIGKILL', () => {
    assert.deepEqual(restartArgs('sf-server-vega-front', 1), ['restart', '--time', '1', 'sf-server-vega-front'])
  })

  test('containersPublishingArgs lists containers in any state on the host port, as name and ports', () => {
    assert.deepEqual(containersPublishingArgs(4000), ['container', 'ls', '--all', '--filter', 'publish=4000', '--format', '{{.Names}}\t{{.Ports}}'])
    assert.deepEqual(containerLabelValuesArgs('sf.build-id'), ['container', 'ls', '--all', '--filter', 'label=sf.build-id', '--format', '{{.Label "sf.build-id"}}'])
  })
})
