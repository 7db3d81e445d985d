// Server-Sent Events over fetch, for streams that need an Authorization header (EventSource cannot
// send one). Reconnects after the server ends the stream, resuming after the last id it saw, until
// `stop` is called or the handler returns true (the stream is complete).
export interface StreamEvent {
  id: string | null
  event: string
  data: string
}

export function followEvents(url: string, headers: Record<string, string>, onEvent: (e: StreamEvent) => boolean | void, onProblem: (message: string) => void): () => void {
  let stopped = false
  let lastId: string | null = null
  const controller = new AbortController()
  const once = async (): Promise<boolean> => {
    const response = await fetch(url, { headers: { ...headers, ...(lastId ? { 'Last-Event-ID': lastId } : {}) }, signal: controller.signal, cache: 'no-store' })
    if (!response.ok || !response.body) {
      const body = (await response.json().catch(() => ({}))) as { error?: string }
      onProblem(body.error ?? `${url} answered ${response.status}`)
      return response.status >= 500 // a server being replaced: try again; a refusal: stop
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
    let buffer = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return true
      buffer += value
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const field = (name: string) => new RegExp(`^${name}: ?(.*)$`, 'm').exec(block)?.[1] ?? null
        const data = field('data')
        if (data === null) continue
        const id = field('id')
        if (id !== null) lastId = id
        if (onEvent({ id, event: field('event') ?? 'message', data })) {
          stopped = true
          controller.abort()
          return false
        }
      }
    }
  }
  void (async () => {
    while (!stopped) {
      const again = await once().catch(() => true)
      if (!again || stopped) return
      await new Promise((r) => setTimeout(r, 1000))
    }
  })()
  return () => {
    stopped = true
    controller.abort()
  }
}
