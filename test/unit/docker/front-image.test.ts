import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeFrontImageSources } from '../../../lib/docker/front-image.ts'

test('with no haproxy image here and no haproxy on the host, says the front needs a pull and what to do without a registry', () => {
  const text = describeFrontImageSources({ configured: null, officialHere: false, hostHaproxy: false })
  assert.match(text, /needs haproxy:lts pulled from a registry: .*with no registry, install Debian's haproxy \(apt-get install -y haproxy\), set SF_VEGA_FRONT_IMAGE to an haproxy image, or use SF_VEGA_FRONT=none$/)
})

test('names the image the front will run when one is configured, here, or can be built from the host', () => {
  assert.equal(describeFrontImageSources({ configured: 'reg.example/haproxy:2.8', officialHere: false, hostHaproxy: false }), 'the front runs reg.example/haproxy:2.8 (SF_VEGA_FRONT_IMAGE)')
  assert.match(describeFrontImageSources({ configured: null, officialHere: true, hostHaproxy: false }), /runs haproxy:lts, which this engine has/)
  assert.match(describeFrontImageSources({ configured: null, officialHere: false, hostHaproxy: true }), /else an image built from this host's haproxy/)
})
