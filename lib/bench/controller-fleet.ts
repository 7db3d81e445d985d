// One fleet of bench:controller: N docker hosts of prod on this engine, each with its own controller
// container, under per-run names, free loopback ports and an SF_HOME of its own, following a
// repository of their own in the benchmark's registry (so every fleet starts with a channel that
// names nothing). Removed whole afterwards: containers, networks, home volumes and folders.
import fs from 'node:fs/promises'
import path from 'node:path'
import { homeVolume } from '../authority/docker-server.ts'
import { networkRemoveArgs, removeContainerArgs, volumeRemoveArgs } from '../docker/args.ts'
import { docker } from '../docker/engine.ts'
import type { Env } from '../env.ts'
import { frontName, networkName, nextFrontName, portHolderName } from '../front/definition.ts'
import { asideName, candidateName } from '../front/site.ts'
import { freePorts } from '../ports.ts'
import { controllerName } from '../controller/setup.ts'
import { controllerStateFile, readControllerState, type ControllerState } from '../server/controller-state.ts'

export interface FleetHost {
  name: string
  /** Prod's port; the two after it are the front's probe ports. */
  port: number
  url: string
}

export interface BenchFleet {
  label: string
  hosts: FleetHost[]
  intervalS: number
  /** What the toolkit's scripts read for this fleet: SF_REGISTRY, SF_TARGETS, SF_HOME, the images, the interval. */
  env: Record<string, string>
  /** Each host's controller state, in the order of `hosts` (null before its first write). */
  states(): (ControllerState | null)[]
  /** Every container a host of this fleet may have; never throws. */
  cleanup(): Promise<void>
}

/** Every container of a docker host with a controller: the server, its candidate and aside, the front, its holder, the controller. */
export function hostContainers(name: string): string[] {
  return [name, candidateName(name), asideName(name), frontName(name), nextFrontName(name), portHolderName(name), controllerName(name)]
}

/** SF_TARGETS for the fleet: every host a docker target of prod. Test has a target that is never asked (its evidence is recorded directly). */
export function fleetTargets(hosts: readonly FleetHost[]): string {
  return [
    'targets:',
    '  test: {kind: kubernetes, context: none, namespace: sf-test, deployment: sf, container: sf, url: "http://127.0.0.1:9"}',
    '  prod:',
    ...hosts.map((h) => `    - {kind: docker, name: ${h.name}, port: ${h.port}, url: "${h.url}"}`),
    '',
  ].join('\n')
}

export interface FleetInputs {
  /** Short: the fronts' admin sockets live under the folder, and a socket path has room for 107 bytes. */
  dir: string
  label: string
  namePrefix: string
  count: number
  intervalS: number
  /** host:port/path: the fleet's own repository is `<registry>/sf-server`. */
  registry: string
  frontImage: string
  baseImage: string
  engineEnv: Env
}

export async function createFleet(i: FleetInputs): Promise<BenchFleet> {
  const hosts: FleetHost[] = []
  const taken: number[] = []
  while (hosts.length < i.count) {
    const port = await freePorts('127.0.0.1', 3)
    if (taken.some((p) => Math.abs(p - port) <= 2)) continue
    taken.push(port)
    hosts.push({ name: `${i.namePrefix}-${i.label}-${hosts.length + 1}`, port, url: `http://127.0.0.1:${port}` })
  }
  const sfHome = path.join(i.dir, 'home')
  const targets = path.join(i.dir, 'targets.yaml')
  await fs.mkdir(i.dir, { recursive: true })
  await fs.writeFile(targets, fleetTargets(hosts))
  const env = {
    SF_REGISTRY: i.registry,
    SF_TARGETS: targets,
    SF_HOME: sfHome,
    SF_VEGA_FRONT_IMAGE: i.frontImage,
    SF_BASE_IMAGE: i.baseImage,
    SF_CONTROLLER_INTERVAL: String(i.intervalS),
  }
  const engine = { env: i.engineEnv, allowFailure: true }
  return {
    label: i.label,
    hosts,
    intervalS: i.intervalS,
    env,
    states: () => hosts.map((h) => readControllerState(controllerStateFile(sfHome, h.name))),
    async cleanup() {
      for (const h of hosts) {
        for (const container of hostContainers(h.name)) await docker(removeContainerArgs(container, { force: true }), engine).catch(() => undefined)
        await docker(networkRemoveArgs(networkName(h.name)), engine).catch(() => undefined)
        await docker(volumeRemoveArgs(homeVolume(h.name)), engine).catch(() => undefined)
      }
      await fs.rm(i.dir, { recursive: true, force: true }).catch(() => undefined)
    },
  }
}
