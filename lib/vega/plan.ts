// The upgrade as a list of steps with the docker commands each runs: what --dry-run prints. Pure.
import { buildArgs, removeContainerArgs, renameArgs, runDetachedArgs, stopArgs, updateRestartArgs, type ContainerSpec } from '../docker/args.ts'
import { asideName, candidateName } from '../front/site.ts'

export interface PlanStep {
  step: string
  what: string
  /** docker commands, as argument arrays. */
  commands: string[][]
  /** Commands to the front's runtime API, behind the front. */
  api?: string[]
}

export interface PlanInputs {
  prod: ContainerSpec
  candidate: ContainerSpec
  lockFile: string
  runtimeImage: string
  dockerfile: string
  prodUrl: string
  candidateUrl: string
}

export function upgradePlan(p: PlanInputs): PlanStep[] {
  const probes = (url: string) => `${url}/api/healthz, /api/ready, /api/version (must be the new commit and build), /api/projects`
  return [
    { step: 'lock', what: `take ${p.lockFile}, or refuse while another upgrade holds it`, commands: [] },
    { step: 'converge', what: `remove a leftover ${p.candidate.name}; restore ${asideName(p.prod.name)} if a killed run left it`, commands: [] },
    { step: 'build', what: 'bundle dist/loader.js, next build into a new dist/web/builds/<new build>, write the manifest', commands: [] },
    {
      step: 'image',
      what: `build the runtime image ${p.runtimeImage}`,
      commands: [buildArgs({ dockerfile: p.dockerfile, context: '<empty folder>', tag: p.runtimeImage, buildArgs: { BASE_IMAGE: '<base image>' }, labels: { 'sf.role': 'runtime' } })],
    },
    { step: 'candidate', what: `start ${p.candidate.name}`, commands: [runDetachedArgs(p.candidate)] },
    { step: 'probe candidate', what: probes(p.candidateUrl), commands: [] },
    {
      step: 'drain prod',
      what: `stop ${p.prod.name}, waiting up to ${p.prod.stopTimeout}s for its drain; keep it aside for rollback`,
      commands: [stopArgs(p.prod.name, p.prod.stopTimeout), renameArgs(p.prod.name, asideName(p.prod.name))],
    },
    { step: 'prod', what: `start the new ${p.prod.name}`, commands: [runDetachedArgs(p.prod)] },
    { step: 'probe prod', what: `${probes(p.prodUrl)}; on failure restart the old ${p.prod.name}`, commands: [] },
    {
      step: 'clean up',
      what: 'remove the old prod and the candidate; remove staged builds nothing needs (npm run prune-builds, keeping the newest 5)',
      commands: [removeContainerArgs(asideName(p.prod.name), { force: true }), removeContainerArgs(candidateName(p.prod.name), { force: true })],
    },
  ]
}

export interface FrontPlanInputs {
  prodName: string
  /** The new server, as it starts in the free slot. */
  candidate: ContainerSpec
  slot: string
  /** The slot that serves now, or null when the front routes nowhere yet. */
  oldSlot: string | null
  socket: string
  lockFile: string
  runtimeImage: string
  dockerfile: string
  prodUrl: string
  candidateUrl: string
  stopTimeout: number
  settleSeconds: number
  /** The new server's shares in % before it takes every request, each judged for stepSeconds. */
  canary: number[]
  stepSeconds: number
}

/** The upgrade behind the front: runtime API commands where the direct mode stops and starts containers. */
export function frontUpgradePlan(p: FrontPlanInputs): PlanStep[] {
  const probes = `${p.candidateUrl}/api/healthz, /api/ready, /api/version (must be the new commit and build), /api/projects`
  return [
    { step: 'lock', what: `take ${p.lockFile}, or refuse while another upgrade holds it`, commands: [] },
    { step: 'converge', what: `leave exactly one server behind the front, in the slot it routes to, named ${p.prodName}, and ready`, commands: [] },
    { step: 'build', what: 'bundle dist/loader.js, next build into a new dist/web/builds/<new build>, write the manifest', commands: [] },
    {
      step: 'image',
      what: `build the runtime image ${p.runtimeImage}`,
      commands: [buildArgs({ dockerfile: p.dockerfile, context: '<empty folder>', tag: p.runtimeImage, buildArgs: { BASE_IMAGE: '<base image>' }, labels: { 'sf.role': 'runtime' } })],
    },
    { step: 'candidate', what: `start ${p.candidate.name} in slot ${p.slot}`, commands: [runDetachedArgs(p.candidate)] },
    { step: 'probe candidate', what: probes, commands: [] },
    ...frontSwitchSteps(p),
    {
      step: 'settle',
      what: `${p.prodUrl}: the probes, then for ${p.settleSeconds}s /api/ready, the front's error count, and the new server's 5xx and p95 against the old server's baseline (its last minute before the switch, read from the front's traffic ring); on failure switch back to slot ${p.oldSlot ?? '-'}`,
      commands: [],
    },
    {
      step: 'drain the old server',
      what: `stop ${p.prodName}, waiting up to ${p.stopTimeout}s for its drain; the new server takes the name ${p.prodName}`,
      commands: [stopArgs(p.prodName, p.stopTimeout), renameArgs(p.prodName, asideName(p.prodName)), renameArgs(p.candidate.name, p.prodName), updateRestartArgs(p.prodName, 'unless-stopped')],
    },
    {
      step: 'clean up',
      what: 'remove the old server, hold its slot out; remove staged builds nothing needs (keeping the newest 5)',
      commands: [removeContainerArgs(asideName(p.prodName), { force: true })],
      api: p.oldSlot ? [`set server sf/${p.oldSlot} state maint`, `set server sf/${p.oldSlot} weight 100`] : [],
    },
  ]
}

/** The switch; with canary steps, each step with the weights it sets, then every request to the new slot. */
function frontSwitchSteps(p: FrontPlanInputs): PlanStep[] {
  const admit = [`set server sf/${p.slot} state drain`, `set server sf/${p.slot} state ready`]
  const runtimeApi = `(HAProxy's runtime API on ${p.socket})`
  if (!p.oldSlot || !p.canary.length) {
    return [
      {
        step: 'switch',
        what: `take slot ${p.slot} out of maintenance, sent nothing until the front's own check passes, then make it ready${p.oldSlot ? ` and drain slot ${p.oldSlot}` : ''} ${runtimeApi}`,
        commands: [],
        api: [...admit, ...(p.oldSlot ? [`set server sf/${p.oldSlot} state drain`] : [])],
      },
    ]
  }
  const shares = (share: number) => [`set server sf/${p.slot} weight ${share}`, `set server sf/${p.oldSlot} weight ${100 - share}`]
  return [
    {
      step: 'switch',
      what: `take slot ${p.slot} out of maintenance, sent nothing until the front's own check passes, then make it ready for ${p.canary[0]}% of requests ${runtimeApi}`,
      commands: [],
      api: [...shares(p.canary[0]!), ...admit],
    },
    ...p.canary.map((share) => ({
      step: `canary ${share}%`,
      what: `slot ${p.slot} takes ${share}% of requests for ${p.stepSeconds}s, judged beside the old server (/api/ready on its own port, errors, 5xx, p95); on failure switch back to slot ${p.oldSlot}`,
      commands: [],
      api: shares(share),
    })),
    {
      step: 'every request',
      what: `slot ${p.slot} takes every request and slot ${p.oldSlot} drains`,
      commands: [],
      api: [`set server sf/${p.slot} weight 100`, `set server sf/${p.oldSlot} state drain`],
    },
  ]
}

export function formatPlan(steps: PlanStep[]): string {
  const lines = ['upgrade plan (dry run: nothing was changed)']
  steps.forEach((s, i) => {
    lines.push(`${String(i + 1).padStart(2)}. ${s.step}: ${s.what}`)
    for (const command of s.commands) lines.push(`      docker ${command.map(quote).join(' ')}`)
    for (const command of s.api ?? []) lines.push(`      front> ${command}`)
  })
  return lines.join('\n')
}

const needsNoQuotes = /^[\w@%+=:,./-]+$/

/**
 * Shell-quoted for reading and pasting; nothing here runs through a shell. Inside single quotes only
 * the single quote itself needs care: close the quotes, add an escaped one, reopen.
 */
function quote(arg: string): string {
  if (needsNoQuotes.test(arg)) return arg
  return "'" + arg.replaceAll("'", "'\\''") + "'"
}
