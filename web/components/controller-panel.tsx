import type { ControllerState } from '../../lib/server/controller-state.ts'

/** What this host's deployment controller last reported (the state GET /api/controller answers). */
export function ControllerPanel({ state }: { state: ControllerState }) {
  const { serving, lastCheck, registry, rolling, lastRollout } = state
  return (
    <section className="controller" aria-labelledby="controller-title" data-testid="controller">
      <h2 id="controller-title">Deployment controller</h2>
      <dl className="plan">
        <dt>Target</dt>
        <dd>
          {state.target}, checked every {Math.round(state.controller.intervalMs / 1000)} s
        </dd>
        <dt>Channel</dt>
        <dd data-testid="controller-channel">
          {state.channel} of <code>{state.repository}</code> names <Digest digest={state.channelDigest} />
        </dd>
        <dt>Serving</dt>
        <dd data-testid="controller-serving">
          <Digest digest={serving?.digest ?? null} />
          {serving?.commit ? <> (commit <code>{serving.commit.slice(0, 12)}</code>)</> : null}
          {serving?.since ? <> since <When at={serving.since} /></> : null}
        </dd>
        <dt>Last check</dt>
        <dd>{lastCheck ? <><When at={lastCheck.at} />: {lastCheck.outcome}</> : 'none yet'}</dd>
        <dt>Registry</dt>
        <dd className={registry.reachable ? undefined : 'problems'}>
          {registry.reachable ? 'reachable' : <>unreachable since <When at={registry.since} />: {registry.error ?? 'no error given'}</>}
          {registry.nextCheckAt ? <>; next check <When at={registry.nextCheckAt} /></> : null}
        </dd>
        {rolling && (
          <>
            <dt>Rolling</dt>
            <dd>
              <Digest digest={rolling.digest} /> since <When at={rolling.since} />
            </dd>
          </>
        )}
        {lastRollout && (
          <>
            <dt>Last rollout</dt>
            <dd className={lastRollout.outcome === 'upgraded' ? undefined : 'problems'}>
              <Digest digest={lastRollout.digest} /> {lastRollout.outcome} at <When at={lastRollout.finishedAt} />: {lastRollout.message}
            </dd>
          </>
        )}
      </dl>
      {state.refused.length > 0 && (
        <table data-testid="controller-refused">
          <thead>
            <tr>
              <th>Refused</th>
              <th>Kind</th>
              <th>When</th>
              <th>Why</th>
            </tr>
          </thead>
          <tbody>
            {state.refused.map((r) => (
              <tr key={r.digest + r.kind}>
                <td>
                  <Digest digest={r.digest} />
                </td>
                <td>
                  {r.kind}
                  {r.blocking ? ' (until the channel moves)' : ''}
                </td>
                <td>
                  <When at={r.at} />
                </td>
                <td>{r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

/** `sha256:` and 12 hex digits, the whole digest on hover. */
function Digest({ digest }: { digest: string | null }) {
  return digest ? <code title={digest}>{digest.slice(0, 19)}</code> : <>nothing known</>
}

function When({ at }: { at: string }) {
  return <time dateTime={at}>{at.replace('T', ' ').slice(0, 19)}</time>
}
