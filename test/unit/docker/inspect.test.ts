import { describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { parseContainerInspect } from '../../../lib/docker/inspect.ts'
import { DockerError } from '../../../lib/errors.ts'

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
