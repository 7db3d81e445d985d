import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  buildArgs,
  containersWithLabelsArgs,
  dockerInvocation,
  imageExistsArgs,
  imageInspectArgs,
  imagesWithLabelsArgs,
  needsBuildxPlugin,
  removeContainersArgs,
  removeImagesArgs,
  runArgs,
} from '../../lib/docker.ts'
import { CommandError } from '../../lib/errors.ts'

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

describe('dockerInvocation', () => {
  const env = { PATH: '/usr/bin', DOCKER_HOST: 'unix:///var/run/docker.sock' }

  test('runs docker itself with the environment unchanged', () => {
    assert.deepEqual(dockerInvocation(['version'], { env }), { command: 'docker', args: ['version'], env })
  })

  test('turns BuildKit on for builds, and off when asked', () => {
    assert.deepEqual(dockerInvocation(['build', '.'], { env }).env, { ...env, DOCKER_BUILDKIT: '1' })
    assert.deepEqual(dockerInvocation(['build', '.'], { env: { ...env, DOCKER_BUILDKIT: '0' } }).env, { ...env, DOCKER_BUILDKIT: '1' })
    assert.deepEqual(dockerInvocation(['build', '.'], { env, buildkit: false }).env, { ...env, DOCKER_BUILDKIT: '0' })
  })

  test('bounds a call with a timeout by running docker under coreutils timeout', () => {
    assert.deepEqual(dockerInvocation(['version', '--format', '{{.Server.Version}}'], { env, timeoutMs: 2500 }), {
      command: 'timeout',
      args: ['--kill-after=2s', '2.5s', 'docker', 'version', '--format', '{{.Server.Version}}'],
      env,
    })
  })
})

describe('needsBuildxPlugin', () => {
  test('recognises the error of a CLI whose BuildKit needs the missing buildx plugin', () => {
    const output = 'ERROR: BuildKit is enabled but the buildx component is missing or broken.\n       Install the buildx component to build images with BuildKit:\n'
    assert.equal(needsBuildxPlugin(new CommandError('docker build exited with 1', 1, output)), true)
  })

  test('is false for other build failures and for other errors', () => {
    assert.equal(needsBuildxPlugin(new CommandError('docker build exited with 1', 1, 'no space left on device')), false)
    assert.equal(needsBuildxPlugin(new Error('buildx component is missing')), false)
  })
})
