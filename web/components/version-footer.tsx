'use client'
import { useEffect, useState } from 'react'

interface Version {
  manifest: { version: string; git: { commit: string; dirty: boolean }; builtAt: string; webHost: { buildId: string } }
  runningImage: { tag: string | null; digest: string | null }
  startedAt: string
}

interface Ready {
  ready: boolean
  reason?: string | null
}

/**
 * The running version, as /api/version reports it, and readiness. /api/events names the build at
 * every (re)connect: after an upgrade the stream reconnects to the new server, and the footer follows.
 */
export function VersionFooter() {
  const [state, setState] = useState<{ version?: Version; error?: string }>({})
  const [ready, setReady] = useState<Ready | null>(null)
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const load = () => {
      fetch('/api/version', { cache: 'no-store' })
        .then(async (r) => (r.ok ? setState({ version: await r.json() }) : setState({ error: (await r.json()).error })))
        .catch((e: Error) => setState({ error: e.message }))
      fetch('/api/ready', { cache: 'no-store' })
        .then(async (r) => setReady((await r.json()) as Ready))
        .catch(() => setReady(null))
    }
    load()
    let shown: string | null = null
    const events = new EventSource('/api/events')
    events.addEventListener('version', (e) => {
      const { commit, buildId } = JSON.parse((e as MessageEvent<string>).data) as { commit: string | null; buildId: string | null }
      const build = `${commit}/${buildId}`
      if (shown !== null && shown !== build) load()
      shown = build
    })
    events.addEventListener('draining', () => setReady({ ready: false, reason: 'this server is draining: the next one takes over' }))
    const tick = setInterval(() => setNow(Date.now()), 1000)
    return () => {
      events.close()
      clearInterval(tick)
    }
  }, [])
  const v = state.version
  const uptime = v ? Math.max(0, Math.round((now - Date.parse(v.startedAt)) / 1000)) : 0
  return (
    <footer data-testid="version">
      {v ? (
        <>
          SF {v.manifest.version} · commit <code data-testid="commit">{v.manifest.git.commit.slice(0, 12)}</code>
          {v.manifest.git.dirty ? ' (dirty)' : ''} · build <code data-testid="build">{v.manifest.webHost.buildId}</code> · built{' '}
          <time dateTime={v.manifest.builtAt}>{v.manifest.builtAt}</time>
          {v.runningImage.tag ? <> · image <code>{v.runningImage.tag}</code></> : null} · up <span data-testid="uptime">{formatUptime(uptime)}</span>
        </>
      ) : (
        (state.error ?? 'loading version…')
      )}
      {ready && (
        <span className={ready.ready ? 'ready' : 'not-ready'} data-testid="ready">
          {' '}
          · {ready.ready ? 'ready' : `not ready: ${ready.reason ?? 'no reason given'}`}
        </span>
      )}
    </footer>
  )
}

function formatUptime(seconds: number): string {
  if (seconds < 120) return `${seconds}s`
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`
  return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`
}
