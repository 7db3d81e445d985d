// Vega's server behind its front: prod's definition (container.ts) in one of the front's slots. The
// front's switch takes it as the new server's container (frontSwap's serverSpec).
import type { ContainerSpec } from '../docker/args.ts'
import { networkName, slotAlias, type Slot } from '../front/definition.ts'
import { candidateName } from '../front/site.ts'
import { slotProbeHost } from '../front/swap.ts'
import { vegaContainer, type VegaInputs } from './container.ts'

/**
 * A new server for `slot`: prod's definition under the candidate's name, on the slot's probe port,
 * joined to the front's network under the slot's alias, never restarted until it is proven and named prod.
 */
export function slotServerSpec(inputs: VegaInputs, slot: Slot, port: number): ContainerSpec {
  const name = inputs.name
  // Named and labelled as prod inside (SF_VEGA_NAME, sf.vega.name): it becomes prod by a rename.
  const spec = vegaContainer({ ...inputs, bind: slotProbeHost, port, network: { name: networkName(name), aliases: [slotAlias(name, slot)] } })
  return { ...spec, name: candidateName(name), restart: 'no', labels: { ...spec.labels, 'sf.vega.slot': slot } }
}
