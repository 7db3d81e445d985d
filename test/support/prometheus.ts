// A real Prometheus for container tests: Debian's prometheus on 127.0.0.1 and a free port, with a
// config and storage of its own in a temp dir, scraping every second; queried over its HTTP API.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { request } from 'undici'
import { waitFor } from '../../lib/probe.ts'
import { freePort, tempDir } from './server.ts'

export interface ScrapeJob {
  job: string
  target: string
  metricsPath?: string
  /** A file holding the bearer token Prometheus sends. */
  tokenFile?: string
}

export interface PromSample {
  metric: Record<string, string>
  value: number
}

export interface TestPrometheus {
  url: string
  /** An instant query: the samples it returns, none when nothing matches. */
  query(promql: string): Promise<PromSample[]>
  /** Query until `until` accepts the answer; fails with the last answer after `deadlineMs`. */
  waitUntil(promql: string, until: (samples: PromSample[]) => boolean, deadlineMs?: number): Promise<PromSample[]>
  output(): string
  stop(): Promise<void>
}

/** A scrape config in Prometheus's YAML (JSON is YAML), every second. */
export function scrapeConfig(jobs: ScrapeJob[]): string {
  return JSON.stringify({
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    scrape_configs: jobs.map((j) => ({
      job_name: j.job,
      metrics_path: j.metricsPath ?? '/metrics',
      ...(j.tokenFile ? { authorization: { type: 'Bearer', credentials_file: j.tokenFile } } : {}),
      static_configs: [{ targets: [j.target] }],
    })),
  }, null, 2)
}

export async function startPrometheus(jobs: ScrapeJob[]): Promise<TestPrometheus> {
  const dir = tempDir('prometheus')
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const config = path.join(dir, 'prometheus.yml')
  fs.writeFileSync(config, scrapeConfig(jobs))
  const child = spawn('prometheus', [
    `--config.file=${config}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM')
    await exited
    fs.rmSync(dir, { recursive: true, force: true })
  }
  const query = async (promql: string): Promise<PromSample[]> => {
    const answer = await request(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`)
    const body = (await answer.body.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } }
    if (body.status !== 'success') throw new Error(`Prometheus refused ${promql}: ${body.error}`)
    return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }))
  }
  /** Each target's health and last error, for a failure's message. */
  const targets = async () => {
    const answer = await request(`${url}/api/v1/targets`)
    const body = (await answer.body.json()) as { data: { activeTargets: { scrapePool: string; health: string; lastError: string }[] } }
    return body.data.activeTargets.map((t) => `${t.scrapePool} ${t.health}${t.lastError ? ` (${t.lastError})` : ''}`).join(', ')
  }
  try {
    await waitFor(`${url}/-/ready`, { deadlineMs: 30_000, abortIf: () => (child.exitCode !== null ? `prometheus exited with ${child.exitCode}: ${output}` : null) })
  } catch (error) {
    await stop()
    throw error
  }
  return {
    url,
    query,
    async waitUntil(promql, until, deadlineMs = 30_000) {
      const deadline = Date.now() + deadlineMs
      let last: PromSample[] = []
      for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
        last = await query(promql)
        if (until(last)) return last
        if (Date.now() > deadline) throw new Error(`after ${deadlineMs} ms Prometheus still answers ${promql} with ${JSON.stringify(last)}; its targets: ${await targets()}`)
        await new Promise((r) => setTimeout(r, wait))
      }
    },
    output: () => output,
    stop,
  }
}
