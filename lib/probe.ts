// Probes and waits: work to a deadline with a growing, bounded interval, and fail with the URL, the
// last answer and the time waited.
import { request } from 'undici'
import { ProbeError } from './errors.ts'

export interface Answer {
  status: number
  body: string
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown
}

/** One GET (or other method), answered or thrown; a connection error is thrown as is. */
export async function fetchAnswer(url: string, options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<Answer> {
  const timeout = options.timeoutMs ?? 5000
  const res = await request(url, { method: options.method ?? 'GET', headers: options.headers, headersTimeout: timeout, bodyTimeout: timeout })
  const body = await res.body.text()
  let json: unknown
  try {
    json = JSON.parse(body)
  } catch {
    json = undefined
  }
  return { status: res.statusCode, body, json }
}

export interface WaitOptions {
  /** Give up after this long. */
  deadlineMs: number
  /** Accept the answer; by default a 200. */
  accept?: (answer: Answer) => boolean
  headers?: Record<string, string>
  /** First and longest pause between tries. */
  minIntervalMs?: number
  maxIntervalMs?: number
  /** Stop early: for example the container exited, so waiting longer cannot help. */
  abortIf?: () => string | null | Promise<string | null>
}

/** Poll `url` until an answer is accepted; ProbeError with the last answer otherwise. */
export async function waitFor(url: string, options: WaitOptions): Promise<Answer & { waitedMs: number }> {
  const accept = options.accept ?? ((a) => a.status === 200)
  const started = performance.now()
  let interval = options.minIntervalMs ?? 100
  let last = 'no answer yet'
  for (;;) {
    try {
      const answer = await fetchAnswer(url, { headers: options.headers, timeoutMs: Math.min(5000, options.deadlineMs) })
      if (accept(answer)) return { ...answer, waitedMs: Math.round(performance.now() - started) }
      last = `${answer.status} ${answer.body.slice(0, 300)}`
    } catch (error) {
      last = (error as Error).message || (error as { code?: string }).code || String(error)
    }
    const waited = performance.now() - started
    const stop = await options.abortIf?.()
    if (stop) throw new ProbeError(`${url}: gave up after ${Math.round(waited)} ms because ${stop}; last answer: ${last}`)
    if (waited + interval > options.deadlineMs) {
      throw new ProbeError(`${url}: no acceptable answer within ${options.deadlineMs} ms; last answer: ${last}`)
    }
    await new Promise((resolve) => setTimeout(resolve, interval))
    interval = Math.min(interval * 2, options.maxIntervalMs ?? 1000)
  }
}

/** The base URL of a server at `host:port`, an IPv6 address in brackets. */
export function urlOf(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`
}
