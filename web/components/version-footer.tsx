'use client'
import { useEffect, useState } from 'react'

interface Version {
  manifest: { version: string; git: { commit: string; dirty: boolean }; builtAt: string; webHost: { buildId: string } }
  runningImage: { tag: string | null; digest: string | null }
}

/** The running version, as /api/version reports it. */
export function VersionFooter() {
  const [state, setState] = useState<{ version?: Version; error?: string }>({})
  useEffect(() => {
    fetch('/api/version', { cache: 'no-store' })
      .then(async (r) => (r.ok ? setState({ version: await r.json() }) : setState({ error: (await r.json()).error })))
      .catch((e: Error) => setState({ error: e.message }))
  }, [])
  const v = state.version
  return (
    <footer data-testid="version">
      {v ? (
        <>
          SF {v.manifest.version} · commit <code data-testid="commit">{v.manifest.git.commit.slice(0, 12)}</code>
          {v.manifest.git.dirty ? ' (dirty)' : ''} · built <time dateTime={v.manifest.builtAt}>{v.manifest.builtAt}</time> ·
          build <code>{v.manifest.webHost.buildId}</code>
          {v.runningImage.tag ? <> · image <code>{v.runningImage.tag}</code></> : null}
        </>
      ) : (
        (state.error ?? 'loading version…')
      )}
    </footer>
  )
}
