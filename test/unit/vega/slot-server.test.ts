// A server behind the front: prod's definition in a slot, on loopback, under the slot's alias.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { slotPort } from '../../../lib/front/swap.ts'
import { vegaContainer } from '../../../lib/vega/container.ts'
import { slotServerSpec } from '../../../lib/vega/slot-server.ts'
import { vegaInputsOnVega } from '../../support/fixtures.ts'

describe('slotServerSpec', () => {
  test('is prod under the candidate\'s container name (prod\'s inside, as it becomes prod by a rename), published on loopback at the slot port, in the network under the slot alias, never restarted', () => {
    const spec = slotServerSpec(vegaInputsOnVega, 'b', slotPort(4000, 'b'))
    const prod = vegaContainer(vegaInputsOnVega)
    assert.equal(spec.name, 'sf-server-vega-candidate')
    assert.deepEqual(spec.ports, [{ bind: '127.0.0.1', hostPort: 4002, containerPort: 4000 }], 'not on SF_VEGA_BIND (100.64.0.7): the port is for probes only')
    assert.deepEqual(spec.network, { name: 'sf-server-vega-net', aliases: ['sf-server-vega-slot-b'] })
    assert.equal(spec.restart, 'no')
    assert.deepEqual(spec.labels, { ...prod.labels, 'sf.vega.slot': 'b' })
    assert.deepEqual({ ...spec, name: prod.name, ports: prod.ports, network: undefined, restart: prod.restart, labels: prod.labels }, { ...prod, network: undefined })
  })

  test('slot a probes on the next port, slot b on the one after', () => {
    assert.deepEqual([slotPort(4000, 'a'), slotPort(4000, 'b')], [4001, 4002])
  })
})
