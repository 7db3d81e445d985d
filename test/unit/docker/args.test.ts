import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import {
  buildArgs,
  containersPublishingArgs,
  containersWithLabelsArgs,
  dockerInvocation,
  imageExistsArgs,
  imageInspectArgs,
  imagesWithLabelsArgs,
  needsBuildxPlugin,
  parseContainerInspect,
  removeContainersArgs,
  removeImagesArgs,
  renameArgs,
  runArgs,
  runDetachedArgs,
  startArgs,
  stopArgs,
} from '../../lib/docker.ts'
import { CommandError, DockerError } from '../../lib/errors.ts'

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

  test('renameArgs and startArgs name the container', () => {
    assert.deepEqual(renameArgs('sf-server-vega', 'sf-server-vega-previous'), ['rename', 'sf-server-vega', 'sf-server-vega-previous'])
    assert.deepEqual(startArgs('sf-server-vega-previous'), ['start', 'sf-server-vega-previous'])
  })

  test('containersPublishingArgs lists containers in any state on the host port, as name and ports', () => {
    assert.deepEqual(containersPublishingArgs(4000), ['container', 'ls', '--all', '--filter', 'publish=4000', '--format', '{{.Names}}\t{{.Ports}}'])
  })
})

describe('parseContainerInspect', () => {
  /** Trimmed from what `docker container inspect` prints for a running vega container. */
  const inspectJson = JSON.stringify([
    {
      Id: '5c1f0a7e9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e',
      Created: '2026-11-27T10:15:02.123456789Z',
      Path: 'node',
      Args: ['/opt/sf/dist/loader.js', 'server', '/workspace', '--host', '0.0.0.0', '--port', '4000'],
      State: {
        Status: 'running',
        Running: true,
        Paused: false,
        Restarting: false,
        OOMKilled: false,
        Dead: false,
        Pid: 31337,
        ExitCode: 0,
        Error: '',
        StartedAt: '2026-11-27T10:15:03.456789012Z',
        FinishedAt: '0001-01-01T00:00:00Z',
        Health: { Status: 'healthy', FailingStreak: 0, Log: [] },
      },
      Image: 'sha256:4e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7',
      Name: '/sf-server-vega',
      RestartCount: 2,
      HostConfig: {
        Binds: null,
        NetworkMode: 'bridge',
        PortBindings: {
          '4000/tcp': [{ HostIp: '100.64.0.7', HostPort: '4000' }, { HostIp: '::1', HostPort: '4000' }],
          '9229/tcp': null,
        },
        RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
        GroupAdd: ['998'],
      },
      Mounts: [
        { Type: 'bind', Source: '/home/mhugo/code/sf', Destination: '/opt/sf', Mode: '', RW: true, Propagation: 'rprivate' },
        { Type: 'bind', Source: '/var/run/docker.sock', Destination: '/var/run/docker.sock', Mode: '', RW: true, Propagation: 'rprivate' },
      ],
      Config: {
        Hostname: '5c1f0a7e9b2d',
        Env: ['SF_HOME=/root/.sf', 'SF_EXTRA=a=b=c', 'EMPTY=', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
        Cmd: ['node', '/opt/sf/dist/loader.js', 'server', '/workspace', '--host', '0.0.0.0', '--port', '4000'],
        Image: 'sf-source-server:local',
        Labels: { 'sf.role': 'vega', 'sf.vega.name': 'sf-server-vega', 'sf.commit': '0123456789abcdef0123456789abcdef01234567' },
        StopSignal: 'SIGTERM',
        StopTimeout: 610,
      },
      NetworkSettings: { Ports: { '4000/tcp': [{ HostIp: '100.64.0.7', HostPort: '4000' }] } },
    },
  ], null, 4)

  test('reads what the scripts need from a running container', () => {
    assert.deepEqual(parseContainerInspect(inspectJson), {
      id: '5c1f0a7e9b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e',
      name: 'sf-server-vega',
      image: 'sf-source-server:local',
      imageId: 'sha256:4e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7',
      running: true,
      restartCount: 2,
      exitCode: 0,
      startedAt: '2026-11-27T10:15:03.456789012Z',
      health: 'healthy',
      labels: { 'sf.role': 'vega', 'sf.vega.name': 'sf-server-vega', 'sf.commit': '0123456789abcdef0123456789abcdef01234567' },
      env: { SF_HOME: '/root/.sf', SF_EXTRA: 'a=b=c', EMPTY: '', PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      mounts: [
        { source: '/home/mhugo/code/sf', target: '/opt/sf' },
        { source: '/var/run/docker.sock', target: '/var/run/docker.sock' },
      ],
      ports: [
        { bind: '100.64.0.7', hostPort: 4000, containerPort: 4000 },
        { bind: '::1', hostPort: 4000, containerPort: 4000 },
      ],
      groupAdd: ['998'],
    })
  })

  test('reads a stopped container without health, labels, mounts, ports or groups', () => {
    const json = JSON.stringify([
      {
        Id: 'abc',
        Image: 'sha256:ff',
        Name: '/sf-server-vega-previous',
        State: { Running: false, ExitCode: 137, StartedAt: '2026-11-27T10:15:03Z' },
        HostConfig: { PortBindings: {}, GroupAdd: null },
        Config: { Image: 'sha256:ff', Labels: null, Env: null },
      },
    ])
    assert.deepEqual(parseContainerInspect(json), {
      id: 'abc',
      name: 'sf-server-vega-previous',
      image: 'sha256:ff',
      imageId: 'sha256:ff',
      running: false,
      restartCount: 0,
      exitCode: 137,
      startedAt: '2026-11-27T10:15:03Z',
      health: null,
      labels: {},
      env: {},
      mounts: [],
      ports: [],
      groupAdd: [],
    })
  })

  test('refuses an answer with no container in it', () => {
    assert.throws(() => parseContainerInspect('[]'), DockerError)
  })
})
