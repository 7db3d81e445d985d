// The method of the benchmarks, written into every result file beside the figures, so that a figure
// is never read without what it measured.
import { badPage, judgedUpgrade, usersPlan } from './judged.ts'
import { holdPath } from './load.ts'
import type { LoadPlan } from './measure.ts'

export function loadMethod(plan: LoadPlan): Record<string, unknown> {
  const several = plan.routes.length > 1
  return {
    clients: plan.routes.reduce((sum, r) => sum + r.clients, 0),
    connection: 'one undici Client per client: one keep-alive connection, no pipelining, reopened after a close or an error',
    request: plan.routes.map((r) => `GET ${r.path}${several ? ` (${r.clients} clients)` : ''}`).join(', '),
    pacing: `${plan.pauseMs ? `each client pauses ${plan.pauseMs} ms after each answer, as a person between clicks` : 'each client sends its next request as soon as the previous one is answered'}; after an error it pauses ${plan.errorPauseMs} ms`,
    timeoutMs: plan.timeoutMs,
    runsBeforeMs: plan.leadMs,
    runsAfterMs: plan.minRequests ? `${plan.tailMs}, then on until at least ${plan.minRequests} requests are measured (at most ${plan.maxExtraMs} ms more)` : plan.tailMs,
  }
}

export function slowMethod(plan: LoadPlan): Record<string, unknown> {
  return {
    count: plan.slowRequests,
    request: `GET ${holdPath(plan.slowHoldMs)} (admin), each on its own connection, held open ${plan.slowHoldMs} ms as registered work`,
    lost: 'any answer other than 200, or an error',
  }
}

export const windowMethod =
  'the largest gap between consecutive successful (2xx) completions of the load, from their sorted end times: from the last success before an outage to the first success after it; the load\'s start and stop bound the first and last gap'

export function upgradeMethod(plan: LoadPlan, o: { stopTimeSeconds: number; settleMs: number; probeDeadlineMs: number; steadySeconds: number }): Record<string, unknown> {
  return {
    load: loadMethod(plan),
    slowRequests: {
      ...slowMethod(plan),
      sentInUpgrades: 'when the phase "start <name>-candidate" ends, before its probes: only the old server takes requests then, also behind the front',
      sentInNaiveReplace: 'just before docker stop, once GET /api/drain counts them as held requests',
    },
    theSwitch: {
      front: 'the start of the phase "switch the front to slot ...": the new slot made ready, then the old one drained, through the runtime API',
      direct: 'the start of the phase "drain <name> (docker stop ...)"',
      naiveReplace: 'the start of its docker stop, named like the drain',
    },
    longestWindowWithoutSuccess: windowMethod,
    provenToServing: {
      from: 'the end of the phase "probe <name>-candidate" (the candidate answered /api/healthz, /api/ready, /api/version with the exact commit and build, and /api/projects)',
      polledMs: `to the end of the first GET /api/version through prod's port (one keep-alive client, one request after another, ${plan.pollIntervalMs} ms apart, from the proof on) that named the new build id: what a client sees, the same measure for both modes`,
      servingPhaseEndMs: 'to the end of the upgrade\'s own phase that puts the new build on prod: "switch the front to slot ..." behind the front (the front saw the new slot up and drains the old), "probe <name>" in direct mode (the new prod passed its probes)',
      naiveReplace: 'no candidate, and it runs the same build again: not measured',
    },
    requestRate: 'requests of every outcome divided by the time the load ran (before + during + after the change)',
    upgrade: `upgradeVega with dryRun false, lockWaitMs 0, probeDeadlineMs ${o.probeDeadlineMs}, settle ${o.settleMs} ms behind the front: build a new release, start and probe the candidate, then switch the front to it (A) or drain prod with docker stop --time ${o.stopTimeSeconds} and start the new prod on the port (B)`,
    naiveReplace: `docker stop --time ${o.stopTimeSeconds}, docker rm, docker run of the same container spec on the image id it ran, then poll /api/ready`,
    steady: `nothing changes: the same load for ${o.steadySeconds} s through the front, straight to the same server on its slot's loopback probe port (both published by docker on 127.0.0.1, so only the HAProxy hop differs), and to a direct-mode prod; hop price = front minus same server, at p50 and p99 of successful requests`,
    wallClock: 'from the call of the upgrade or the replace to its return',
    machineLoad: 'the engine and the CPUs are shared with other work: every run records the 1-minute load average before and after',
  }
}

/** Runs D-G of bench:upgrade: upgrades judged by their traffic (judged.ts). */
export function judgedMethod(): Record<string, unknown> {
  const { canary, stepMs, settleMs, probeDeadlineMs } = judgedUpgrade
  return {
    prod: "a front-mode prod of its own (docker:vega:up), built from a git clone of this checkout's HEAD in the sandbox's folder (node_modules and web/node_modules hard-linked in); every release of these runs is built from that clone, never from this checkout",
    load: loadMethod(usersPlan),
    badRelease: `a commit in the clone that adds ${JSON.stringify(badPage.throws.trim())} at the top of ${badPage.file}'s page: the page answers 500 while /api/healthz, /api/ready, /api/version and /api/projects pass, so the candidate passes its probes; reverted by a new commit after the run`,
    goodRelease: "the clone's HEAD after the reverts (the same tree as this checkout's HEAD), built again: a new build id",
    order: `D bad, no canary steps; E bad, --canary ${canary.join(',')}; F good, no canary steps; G good, --canary ${canary.join(',')}; each upgrades the release the run before left serving`,
    upgrade: `upgradeVega with dryRun false, lockWaitMs 0, probeDeadlineMs ${probeDeadlineMs}, settle ${settleMs} ms, canary [] or [${canary.join(', ')}] with a step of ${stepMs} ms (docker:vega:upgrade's defaults for --settle and --step), the SF_ANALYSIS_* defaults`,
    theSwitch: {
      noCanary: 'the start of the phase "give slot ... every request" (the old slot drained); in the phase "switch the front to slot ..." before it, both slots take requests once the new one is admitted',
      canary: 'the start of the phase "switch the front to slot ... for 10% of requests" (the shares are set before the new slot is admitted)',
    },
    switchBack: 'the start of the phase "switch back to <name>"; afterSwitchMs is from the start of the switch to it',
    requests:
      "by path and all together, of the requests that started in the whole run, and of those that started from the switch to the switch back (to the load's stop when none came): status5xx the answers with a 5xx status, otherFailed any other outcome but 2xx, percent5xx of the requests. With canary steps the span from the switch to the switch back is the 10% step: the new server had its 10% all through it",
    verdicts: "the history entry's analysis, each with its stage, decision, rule, reason and the old and new server's figures as the front counted them (the probes left out); decided is the failing one, else the last",
    wallClock: "from the call of upgradeVega to its return or throw; phasesMs are the history entry's phases; stepsAddMs is G's wall clock minus F's",
  }
}
