// A deployment controller's state as a host's controller writes it, with something in every field the
// page shows: a rollout under way, the last one rolled back, and two refusals.
import type { ControllerState } from '../../lib/server/controller-state.ts'

export const digests = { channel: `sha256:${'a'.repeat(64)}`, serving: `sha256:${'b'.repeat(64)}`, refused: `sha256:${'d'.repeat(64)}` }

export function controllerState(): ControllerState {
  return {
    target: 'prod-1',
    channel: 'prod',
    repository: 'registry.example.net/sf/sf-server',
    controller: { commit: '0123456789abcdef0123456789abcdef01234567', pid: 4242, startedAt: '2026-11-30T10:00:00.000Z', intervalMs: 15_000 },
    channelDigest: digests.channel,
    serving: { digest: digests.serving, commit: 'fedcba9876543210fedcba9876543210fedcba98', since: '2026-11-30T10:05:00.000Z' },
    lastCheck: { at: '2026-11-30T11:00:00.000Z', outcome: 'rolling the channel digest', requests: 1, cpuMs: 3.5 },
    registry: { reachable: true, since: '2026-11-30T10:00:00.000Z', error: null, nextCheckAt: '2026-11-30T11:00:15.000Z' },
    rolling: { digest: digests.channel, since: '2026-11-30T11:00:01.000Z' },
    lastRollout: {
      digest: digests.refused,
      startedAt: '2026-11-30T10:30:00.000Z',
      finishedAt: '2026-11-30T10:31:00.000Z',
      outcome: 'rolled-back',
      message: 'the settle window saw 12 5xx of 40 requests',
    },
    refused: [
      { digest: digests.refused, at: '2026-11-30T10:31:00.000Z', kind: 'rolled-back', reason: 'the settle window saw 12 5xx of 40 requests', blocking: true },
      { digest: `sha256:${'e'.repeat(64)}`, at: '2026-11-30T09:00:00.000Z', kind: 'untested', reason: 'no tested-<hex> tag names it', blocking: false },
    ],
    pulls: 2,
  }
}
