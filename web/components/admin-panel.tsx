'use client'
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react'
import { followEvents } from './event-stream.ts'

const tokenKey = 'sf-admin-token'

interface Overview {
  serving: { commit: string; dirty: boolean; buildId: string } | null
  checkout: { commit: string; dirty: boolean } | { error: string }
  unavailable: string | null
  lock: { state: 'free' } | { state: 'held' | 'stale'; holder: { pid: number; host: string; command: string; since: string }; why?: string } | null
  history: { at: string; action: string; outcome: string; from: { commit: string | null } | null; to: { commit: string | null } | null; phases: Record<string, number>; error: string | null; analysis?: Verdict[] }[]
}

/** What one canary step or the settle window judged (lib/front/analysis.ts). */
interface Figures {
  requests: number
  errors5xx: number
  errors: number
  p50Ms: number | null
  p95Ms: number | null
}

interface Verdict {
  stage: string
  share: number
  decision: 'pass' | 'fail' | 'inconclusive'
  rule: string | null
  reason: string
  old: Figures | null
  new: Figures
}

interface Phase {
  name: string
  durationMs: number | null
  detail?: string
}

interface Run {
  id: string
  action: string
  phases: Phase[]
  notes: string[]
  analysis: Verdict[]
  outcome: { outcome: string; error?: string } | null
}

const short = (c: string | null | undefined) => (c ? c.slice(0, 12) : '-')

/** The admin section: asks for the token once (this tab only), then upgrade, rollback, live phases, history. */
export function AdminPanel() {
  const [token, setToken] = useState<string | null>(null)
  const [overview, setOverview] = useState<Overview | null>(null)
  const [error, setError] = useState<string | null>(null)
  const [run, setRun] = useState<Run | null>(null)
  const [canary, setCanary] = useState('')
  const [step, setStep] = useState('')
  const stop = useRef<(() => void) | null>(null)

  useEffect(() => setToken(sessionStorage.getItem(tokenKey)), [])
  const auth = useCallback((t: string) => ({ authorization: `Bearer ${t}` }), [])

  const refresh = useCallback(
    async (t: string) => {
      const r = await fetch('/api/server-upgrade', { headers: auth(t), cache: 'no-store' }).catch((e: Error) => e)
      if (r instanceof Error) return setError(r.message)
      const body = await r.json()
      if (!r.ok) {
        setError(body.error)
        if (r.status === 401) {
          sessionStorage.removeItem(tokenKey)
          setToken(null)
        }
        return
      }
      setOverview(body as Overview)
    },
    [auth],
  )
  useEffect(() => {
    if (token) void refresh(token)
  }, [token, refresh])
  useEffect(() => () => stop.current?.(), [])

  const follow = (t: string, id: string, action: string) => {
    stop.current?.()
    setRun({ id, action, phases: [], notes: [], analysis: [], outcome: null })
    stop.current = followEvents(
      `/api/server-upgrade/${id}/events`,
      auth(t),
      (e) => {
        if (e.event === 'draining' || e.event === 'message') return
        const data = JSON.parse(e.data) as Record<string, unknown>
        setRun((r) => (r ? applyEvent(r, e.event, data) : r))
        if (e.event === 'outcome') {
          void refresh(t)
          return true
        }
      },
      (message) => setError(message),
    )
  }

  const start = async (action: 'upgrade' | 'rollback') => {
    if (!token || !overview) return
    setError(null)
    const expect = 'commit' in overview.checkout && action === 'upgrade' ? { expectCommit: overview.checkout.commit } : {}
    // The server checks the steps and names what is wrong; the page only sends what was typed.
    const steps = action === 'upgrade' && canary.trim() ? { canary: canary.split(',').map((p) => Number(p.trim())), ...(step.trim() ? { step: Number(step) } : {}) } : {}
    const r = await fetch(action === 'upgrade' ? '/api/server-upgrade' : '/api/server-upgrade/rollback', {
      method: 'POST',
      headers: { ...auth(token), 'content-type': 'application/json' },
      body: JSON.stringify({ ...expect, ...steps }),
    }).catch((e: Error) => e)
    if (r instanceof Error) return setError(r.message)
    const body = await r.json()
    if (r.status !== 202) return setError(body.error ?? `answered ${r.status}`)
    follow(token, body.id, action)
  }

  if (!token) return <TokenForm onToken={(t) => (sessionStorage.setItem(tokenKey, t), setError(null), setToken(t))} error={error} />
  const checkout = overview?.checkout
  const running = run !== null && run.outcome === null
  const lock = overview?.lock
  return (
    <section className="admin" aria-labelledby="admin-title">
      <h2 id="admin-title">Server upgrade</h2>
      {error && (
        <p className="problems" role="alert" data-testid="admin-error">
          {error}
        </p>
      )}
      {overview && (
        <dl className="plan" data-testid="plan">
          <dt>Serving</dt>
          <dd>
            commit <code data-testid="serving-commit">{short(overview.serving?.commit)}</code>
            {overview.serving?.dirty ? ' (dirty)' : ''}, build <code>{overview.serving?.buildId ?? '-'}</code>
          </dd>
          <dt>Checkout</dt>
          <dd>
            {checkout && 'commit' in checkout ? (
              <>
                HEAD <code data-testid="checkout-commit">{short(checkout.commit)}</code>
                {checkout.dirty ? ' with uncommitted changes' : ''}
                {overview.serving && checkout.commit === overview.serving.commit && !checkout.dirty ? ': already serving, an upgrade rebuilds it' : ''}
              </>
            ) : (
              (checkout as { error: string } | undefined)?.error
            )}
          </dd>
          {lock && lock.state !== 'free' && (
            <>
              <dt>Lock</dt>
              <dd>
                {lock.state === 'held' ? 'an upgrade runs' : `stale (${lock.why}): the next upgrade recovers it`}: pid {lock.holder.pid} ({lock.holder.command}) since {lock.holder.since}
              </dd>
            </>
          )}
        </dl>
      )}
      {overview?.unavailable && (
        <p className="problems" data-testid="unavailable">
          {overview.unavailable}
        </p>
      )}
      <div className="actions">
        <label>
          Canary steps (% of requests){' '}
          <input type="text" inputMode="numeric" placeholder="none, or 10,50" value={canary} onChange={(e) => setCanary(e.target.value)} data-testid="canary" size={8} />
        </label>
        <label>
          each for{' '}
          <input type="number" min={1} placeholder="30" value={step} onChange={(e) => setStep(e.target.value)} data-testid="step" style={{ width: '5em' }} /> s
        </label>
        <button type="button" data-testid="upgrade" disabled={!overview || !!overview.unavailable || running} onClick={() => void start('upgrade')}>
          Upgrade to {checkout && 'commit' in checkout ? short(checkout.commit) : 'HEAD'}
        </button>
        <button type="button" data-testid="rollback" disabled={!overview || !!overview.unavailable || running} onClick={() => void start('rollback')}>
          Roll back to the previous release
        </button>
        <button type="button" className="link" onClick={() => (sessionStorage.removeItem(tokenKey), setToken(null), setOverview(null))}>
          Forget the token
        </button>
      </div>
      {run && <RunView run={run} />}
      {overview && overview.history.length > 0 && (
        <details className="history">
          <summary>Last attempts ({overview.history.length})</summary>
          <table data-testid="history">
            <thead>
              <tr>
                <th>When</th>
                <th>What</th>
                <th>Outcome</th>
                <th>From → to</th>
                <th>Took</th>
                <th>Judged by its traffic</th>
              </tr>
            </thead>
            <tbody>
              {overview.history.map((h) => (
                <tr key={h.at + h.action}>
                  <td>
                    <time dateTime={h.at}>{h.at.replace('T', ' ').slice(0, 19)}</time>
                  </td>
                  <td>{h.action}</td>
                  <td title={h.error ?? undefined}>{h.outcome}</td>
                  <td>
                    <code>{short(h.from?.commit)}</code> → <code>{short(h.to?.commit)}</code>
                  </td>
                  <td>{(Object.values(h.phases).reduce((a, b) => a + b, 0) / 1000).toFixed(1)}s</td>
                  <td data-testid="history-verdict">
                    {(h.analysis ?? []).map((v) => (
                      <span key={v.stage} title={v.reason} className={v.decision === 'fail' ? 'problems' : undefined}>
                        {v.stage}: {v.decision} (new {v.new.requests} req, {v.new.errors5xx} 5xx, p95 {v.new.p95Ms ?? '-'} ms){' '}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </section>
  )
}

function TokenForm({ onToken, error }: { onToken: (t: string) => void; error: string | null }) {
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault()
    const value = String(new FormData(e.currentTarget).get('token') ?? '').trim()
    if (value) onToken(value)
  }
  return (
    <section className="admin" aria-labelledby="admin-title">
      <h2 id="admin-title">Server upgrade</h2>
      {error && (
        <p className="problems" role="alert">
          {error}
        </p>
      )}
      <form onSubmit={submit} className="token">
        <label htmlFor="admin-token">Admin token (kept for this tab only)</label>
        <input id="admin-token" name="token" type="password" autoComplete="off" required data-testid="token" />
        <button type="submit">Unlock</button>
      </form>
    </section>
  )
}

function RunView({ run }: { run: Run }) {
  return (
    <div className="run" data-testid="run" aria-live="polite">
      <h3>
        {run.action} {run.id}
      </h3>
      <ol className="phases" data-testid="phases">
        {run.phases.map((p, i) => (
          <li key={i} className={p.durationMs === null ? 'running' : 'done'}>
            <span className="phase-name">{p.name}</span> <span className="phase-time">{p.durationMs === null ? 'running…' : `${(p.durationMs / 1000).toFixed(1)}s`}</span>
            {p.detail ? <span className="phase-detail"> ({p.detail})</span> : null}
          </li>
        ))}
      </ol>
      {run.analysis.length > 0 && <VerdictTable verdicts={run.analysis} />}
      {run.outcome && (
        <p className={run.outcome.outcome === 'upgraded' || (run.action === 'rollback' && run.outcome.outcome === 'rolled-back') ? 'outcome ok' : 'outcome problems'} data-testid="outcome" role="status">
          {run.outcome.outcome}
          {run.outcome.error ? `: ${run.outcome.error}` : ''}
        </p>
      )}
    </div>
  )
}

/** Each verdict with the numbers of the old and the new server, the rule that decided and why. */
function VerdictTable({ verdicts }: { verdicts: Verdict[] }) {
  const figures = (f: Figures | null) => (f ? `${f.requests} req, ${f.errors5xx} 5xx, p50 ${f.p50Ms ?? '-'} ms, p95 ${f.p95Ms ?? '-'} ms${f.errors ? `, ${f.errors} errors` : ''}` : '-')
  return (
    <table data-testid="analysis">
      <thead>
        <tr>
          <th>Stage</th>
          <th>Verdict</th>
          <th>Old server</th>
          <th>New server</th>
          <th>Why</th>
        </tr>
      </thead>
      <tbody>
        {verdicts.map((v) => (
          <tr key={v.stage} className={v.decision === 'fail' ? 'problems' : undefined}>
            <td>{v.stage}</td>
            <td>
              {v.decision}
              {v.rule ? ` (${v.rule})` : ''}
            </td>
            <td>{figures(v.old)}</td>
            <td>{figures(v.new)}</td>
            <td>{v.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}

/** One event of the upgrader (lib/vega/report.ts) applied to what the page shows. */
function applyEvent(run: Run, event: string, data: Record<string, unknown>): Run {
  if (event === 'phase-start') return { ...run, phases: [...run.phases, { name: String(data.phase), durationMs: null }] }
  if (event === 'phase-done') {
    const phases = [...run.phases]
    const i = phases.findLastIndex((p) => p.name === data.phase && p.durationMs === null)
    if (i >= 0) phases[i] = { ...phases[i]!, durationMs: Number(data.durationMs), ...(data.detail ? { detail: String(data.detail) } : {}) }
    return { ...run, phases }
  }
  if (event === 'note') return { ...run, notes: [...run.notes.slice(-50), String(data.text)] }
  if (event === 'analysis') return { ...run, analysis: [...run.analysis, data as unknown as Verdict] }
  if (event === 'outcome') return { ...run, outcome: { outcome: String(data.outcome), ...(data.error ? { error: String(data.error) } : {}) } }
  return run
}
