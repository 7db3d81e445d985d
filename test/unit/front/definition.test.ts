// The front is defined once: its container as docker run arguments, and its haproxy.cfg.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { runDetachedArgs } from '../../../lib/docker/args.ts'
import { frontContainer, frontDir, frontFiles, renderFrontConfig } from '../../../lib/front/definition.ts'

describe('frontContainer', () => {
  test('publishes the port on the bind address, mounts its folder, joins the network, runs haproxy as root', () => {
    const spec = frontContainer({ name: 'sf-server-vega', image: 'haproxy:lts', bind: '100.64.0.7', port: 4000, sfHome: '/home/mhugo/.sf' })
    assert.deepEqual(runDetachedArgs(spec), [
      'run', '--detach', '--name', 'sf-server-vega-front', '--restart', 'unless-stopped', '--stop-signal', 'SIGUSR1', '--stop-timeout', '30',
      '--user', '0:0', '--network', 'sf-server-vega-net',
      '--publish', '100.64.0.7:4000:4000',
      '--mount', 'type=bind,source=/home/mhugo/.sf/vega/sf-server-vega/front,target=/run/sf-front',
      '--label', 'sf.role=vega-front', '--label', 'sf.vega.name=sf-server-vega',
      'haproxy:lts', '/usr/local/sbin/haproxy', '-W', '-db', '-f', '/run/sf-front/haproxy.cfg',
    ])
  })

  test('keeps its config and admin socket in SF_HOME', () => {
    assert.deepEqual(frontFiles(frontDir('/srv/sf', 'vega')), { config: '/srv/sf/vega/vega/front/haproxy.cfg', socket: '/srv/sf/vega/vega/front/admin.sock' })
  })
})

describe('renderFrontConfig', () => {
  const config = renderFrontConfig({ name: 'sf-server-vega', active: 'b', serverTimeoutSeconds: 610 })

  test('has an admin socket of mode 600 that hands listeners over on reload, and no TCP stats listener', () => {
    assert.match(config, /^ {2}stats socket \/run\/sf-front\/admin\.sock mode 600 level admin expose-fd listeners$/m)
    assert.equal(config.match(/^\s*bind /gm)?.length, 1, 'one listener: the port it owns')
    assert.match(config, /^ {2}bind :4000$/m)
  })

  test('routes to the active slot, holds the other out, and checks /api/ready every 250 ms', () => {
    assert.match(config, /^ {2}server a sf-server-vega-slot-a:4000 disabled$/m)
    assert.match(config, /^ {2}server b sf-server-vega-slot-b:4000$/m)
    assert.match(config, /^ {2}option httpchk GET \/api\/ready$/m)
    assert.match(config, /default-server .*resolvers docker resolve-prefer ipv4 check inter 250ms fastinter 100ms fall 2 rise 1/)
    assert.match(config, /^ {2}nameserver docker 127\.0\.0\.11:53$/m)
  })

  test('a server that is slow to answer its check, as while a build takes the CPUs, is not taken for down', () => {
    // Without it a whole check gets only inter (250 ms), and a busy but healthy server is marked down.
    assert.match(config, /^ {2}timeout check 2s$/m)
  })

  test('never cuts a request the drain would let finish', () => {
    assert.match(config, /^ {2}timeout server 610s$/m)
    assert.match(config, /^ {2}hard-stop-after 610s$/m)
  })

  test('with no active slot yet, holds both out', () => {
    const none = renderFrontConfig({ name: 'x', active: null, serverTimeoutSeconds: 610 })
    assert.equal(none.match(/^ {2}server [ab] \S+ disabled$/gm)?.length, 2)
  })
})
