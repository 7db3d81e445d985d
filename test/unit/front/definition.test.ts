// The front is defined once: its container as docker run arguments, and its haproxy.cfg.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { runDetachedArgs } from '../../../lib/docker/args.ts'
import { frontConfigDigest, frontContainer, frontDir, frontFiles, portHolderContainer, renderFrontConfig, renderMetricsFrontend, renderPortHolderConfig } from '../../../lib/front/definition.ts'

describe('portHolderContainer', () => {
  test('publishes the port on the bind address, joins the network, restarts unless stopped, and idles on haproxy from the front image', () => {
    const spec = portHolderContainer({ name: 'sf-server-vega', image: 'haproxy:lts', bind: '100.64.0.7', port: 4000, sfHome: '/home/mhugo/.sf' })
    assert.deepEqual(runDetachedArgs(spec), [
      'run', '--detach', '--name', 'sf-server-vega-port', '--restart', 'unless-stopped', '--stop-signal', 'SIGTERM', '--stop-timeout', '5',
      '--user', '0:0', '--network', 'sf-server-vega-net',
      '--publish', '100.64.0.7:4000:4000',
      '--mount', 'type=bind,source=/home/mhugo/.sf/vega/sf-server-vega/front,target=/run/sf-front,readonly',
      '--label', 'sf.role=vega-port', '--label', 'sf.vega.name=sf-server-vega',
      'haproxy:lts', '/usr/local/sbin/haproxy', '-db', '-f', '/run/sf-front/port-holder.cfg',
    ])
  })

  test("publishes the front's metrics port on loopback whatever the bind address is", () => {
    const spec = portHolderContainer({ name: 'sf-server-vega', image: 'haproxy:lts', bind: '100.64.0.7', port: 4000, metricsPort: 4003, sfHome: '/home/mhugo/.sf' })
    assert.deepEqual(spec.ports, [
      { bind: '100.64.0.7', hostPort: 4000, containerPort: 4000 },
      { bind: '127.0.0.1', hostPort: 4003, containerPort: 8405 },
    ])
  })

  test('its idle haproxy listens on a unix socket in its own /tmp, never on the port it publishes', () => {
    const config = renderPortHolderConfig()
    assert.deepEqual(config.match(/^\s*bind .*$/gm), ['  bind /tmp/sf-port-holder.sock'])
  })
})

describe('frontContainer', () => {
  const inputs = { name: 'sf-server-vega', image: 'haproxy:lts', sfHome: '/home/mhugo/.sf', id: 'mx1abc', configDigest: '0123456789abcdef' }

  test('runs in the holder\'s namespace with no port of its own, mounts its folder, runs haproxy as root, with its id and config digest', () => {
    assert.deepEqual(runDetachedArgs(frontContainer(inputs)), [
      'run', '--detach', '--name', 'sf-server-vega-front', '--restart', 'unless-stopped', '--stop-signal', 'SIGUSR1', '--stop-timeout', '30',
      '--user', '0:0', '--network', 'container:sf-server-vega-port',
      '--env', 'SF_FRONT_ID=mx1abc',
      '--mount', 'type=bind,source=/home/mhugo/.sf/vega/sf-server-vega/front,target=/run/sf-front',
      '--label', 'sf.role=vega-front', '--label', 'sf.vega.name=sf-server-vega', '--label', 'sf.front.id=mx1abc', '--label', 'sf.front.config=0123456789abcdef',
      'haproxy:lts', '/usr/local/sbin/haproxy', '-W', '-db', '-f', '/run/sf-front/haproxy.cfg',
    ])
  })

  test('a new front takes the listeners from the old one over the old one\'s own admin socket, under its own name until the old one is gone', () => {
    const spec = frontContainer({ ...inputs, id: 'mx2def', takeFrom: 'mx1abc', containerName: 'sf-server-vega-front-next' })
    assert.equal(spec.name, 'sf-server-vega-front-next')
    assert.deepEqual(spec.command.slice(-2), ['-x', '/run/sf-front/admin-mx1abc.sock'])
    assert.equal(spec.env.SF_FRONT_ID, 'mx2def')
  })

  test('keeps its config and admin socket link in SF_HOME', () => {
    assert.deepEqual(frontFiles(frontDir('/srv/sf', 'vega')), {
      config: '/srv/sf/vega/vega/front/haproxy.cfg',
      socket: '/srv/sf/vega/vega/front/admin.sock',
      holderConfig: '/srv/sf/vega/vega/front/port-holder.cfg',
    })
  })
})

describe('frontConfigDigest', () => {
  test('does not change with the active slot, and changes with what the configuration says', () => {
    const base = { name: 'sf-server-vega', serverTimeoutSeconds: 610 }
    assert.match(frontConfigDigest(base), /^[0-9a-f]{16}$/)
    assert.equal(frontConfigDigest(base), frontConfigDigest({ ...base }))
    assert.notEqual(frontConfigDigest(base), frontConfigDigest({ ...base, serverTimeoutSeconds: 611 }))
    assert.notEqual(frontConfigDigest(base), frontConfigDigest({ ...base, name: 'other' }))
  })
})

describe('renderFrontConfig', () => {
  const config = renderFrontConfig({ name: 'sf-server-vega', active: 'b', serverTimeoutSeconds: 610 })

  test('has an admin socket of its own (by SF_FRONT_ID) of mode 600 that hands listeners over, and no TCP stats listener', () => {
    assert.match(config, /^ {2}stats socket "\/run\/sf-front\/admin-\$\{SF_FRONT_ID\}\.sock" mode 600 level admin expose-fd listeners$/m)
    assert.deepEqual(config.match(/^\s*bind .*$/gm), ['  bind :4000', '  bind :8405'], 'two listeners: the port it owns, and its metrics')
  })

  test("serves HAProxy's Prometheus exporter at /metrics on a listener of its own, after everything else and unlogged", () => {
    assert.ok(config.endsWith(renderMetricsFrontend()))
    assert.match(renderMetricsFrontend(), /^frontend metrics\n {2}bind :8405\n {2}no log\n {2}http-request use-service prometheus-exporter if \{ path \/metrics \}\n/m)
  })

  test('routes to both slots as peers of equal weight, each checked on /api/ready every 250 ms', () => {
    // After an engine or host restart, whichever slot's server came back ready gets the requests; at
    // run time an upgrade's canary step gives each slot its share by weight, which a backup would not take.
    assert.match(config, /^ {2}server a sf-server-vega-slot-a:4000 weight 100$/m)
    assert.match(config, /^ {2}server b sf-server-vega-slot-b:4000 weight 100$/m)
    assert.doesNotMatch(config, /backup/)
    assert.match(config, /^ {2}option httpchk GET \/api\/ready$/m)
    assert.match(config, /default-server .*resolvers docker resolve-prefer ipv4 check inter 250ms fastinter 100ms fall 2 rise 1/)
    assert.match(config, /^ {2}nameserver docker 127\.0\.0\.11:53$/m)
  })

  test('a server that is slow to answer its check, as while a build takes the CPUs, is not taken for down', () => {
    // Without it a whole check gets only inter (250 ms), and a busy but healthy server is marked down.
    assert.match(config, /^ {2}timeout check 2s$/m)
  })

  test('closes an idle keep-alive connection after its next answer when it stops, not under a request on its way', () => {
    assert.match(config, /^frontend sf\n {2}bind :4000\n {2}option idle-close-on-response$/m)
  })

  test('never cuts a request the drain would let finish', () => {
    assert.match(config, /^ {2}timeout server 610s$/m)
    assert.match(config, /^ {2}hard-stop-after 610s$/m)
  })

  test('with no active slot yet, holds both out', () => {
    const none = renderFrontConfig({ name: 'x', active: null, serverTimeoutSeconds: 610 })
    assert.equal(none.match(/^ {2}server [ab] \S+ weight 100 disabled$/gm)?.length, 2)
  })

  test('logs every request but the probes to its traffic ring, with time, server, status and response time', () => {
    assert.match(config, /^ring sf-traffic\n {2}format raw\n {2}size \d+$/m)
    assert.match(config, /^ {2}log ring@sf-traffic local0$/m)
    assert.match(config, /^ {2}log-format "%Ts %s %ST %Tr"$/m)
    assert.match(config, /^ {2}http-request set-log-level silent if \{ path \/api\/healthz \/api\/ready \/api\/version \/api\/controller \}$/m)
  })
})
