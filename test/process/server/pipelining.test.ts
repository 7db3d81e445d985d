// Clients that pipeline many requests on a connection and never read the answers, or hold many
// open at once: the web host serves a connection's requests one at a time and at most 256 at once
// (the probes always), so its memory stays bounded and the probes answer.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import { describe, test } from 'node:test'
import { request } from 'undici'
import { fetchAnswer } from '../../../lib/probe.ts'
import { startServer } from '../../support/server.ts'

/** The resident memory of `pid` in MB, from /proc. */
function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
  return Number(kb) / 1024
}

describe('pipelined requests whose answers are never read', () => {
  test('ten connections of 2,000 pipelined GET /: the host stays under 500 MB and the probes answer', async () => {
    const server = await startServer()
    const sockets: net.Socket[] = []
    try {
      const pid = Number(/web host pid (\d+)/.exec(server.output())?.[1])
      assert.ok(pid > 0, server.output())
      for (let i = 0; i < 10; i++) {
        // No 'data' listener: the answers stay unread, as from a client that only sends.
        const socket = net.connect(server.port, '127.0.0.1').on('error', () => {})
        socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(2000))
        sockets.push(socket)
      }
      let peak = 0
      for (let round = 0; round < 20; round++) {
        for (const probe of ['healthz', 'ready']) {
          const answer = await fetchAnswer(`${server.url}/api/${probe}`, { timeoutMs: 10_000 })
          assert.equal(answer.status, 200, `/api/${probe}: ${answer.body}`)
        }
        peak = Math.max(peak, rssMb(pid))
        assert.ok(peak < 500, `the web host's RSS reached ${Math.round(peak)} MB`)
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    } finally {
      for (const s of sockets) s.destroy()
      server.kill()
    }
  })
})

/** Send `count` pipelined GETs of `path` on one connection; what came back once the server is done with it. */
function pipeline(port: number, path: string, count: number): Promise<{ answers: number; closed: boolean }> {
  return new Promise((resolve) => {
    let text = ''
    const socket = net.connect(port, '127.0.0.1').on('error', () => {})
    const timer = setTimeout(() => (socket.destroy(), resolve({ answers: text.split('HTTP/1.1 200').length - 1, closed: false })), 5000)
    socket.on('data', (d) => (text += d))
    socket.on('close', () => (clearTimeout(timer), resolve({ answers: text.split('HTTP/1.1 200').length - 1, closed: true })))
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(count))
  })
}

describe('pipelining on one connection', () => {
  test('17 requests (one running, 16 waiting) are all answered; an 18th closes the connection unanswered', async () => {
    const server = await startServer()
    try {
      assert.deepEqual(await pipeline(server.port, '/api/healthz', 17), { answers: 17, closed: false })
      assert.deepEqual(await pipeline(server.port, '/api/healthz', 18), { answers: 0, closed: true })
      assert.equal((await fetchAnswer(`${server.url}/api/healthz`)).status, 200)
    } finally {
      server.kill()
    }
  })
})

describe('many requests running at once', () => {
  test('past 256 running, the next is answered 503 with Retry-After, and the probes and /api/controller still answer', async () => {
    const server = await startServer()
    const sockets: net.Socket[] = []
    try {
      // Event streams run until the client leaves: 256 of them, each on its own connection.
      await Promise.all(
        Array.from(
          { length: 256 },
          () =>
            new Promise<void>((resolve, reject) => {
              const socket = net.connect(server.port, '127.0.0.1').on('error', reject)
              socket.once('data', (d) => (String(d).startsWith('HTTP/1.1 200') ? resolve() : reject(new Error(String(d).slice(0, 200)))))
              socket.write('GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
              sockets.push(socket)
            }),
        ),
      )
      const refused = await request(`${server.url}/api/events`, { headersTimeout: 10_000, bodyTimeout: 10_000 })
      // A stream that was let in never ends: read no body from it.
      if (refused.statusCode !== 503) refused.body.destroy()
      assert.equal(refused.statusCode, 503)
      const body = await refused.body.text()
      assert.equal(refused.headers['retry-after'], '1')
      assert.match(body, /the server is busy: 256 requests are running/)
      for (const probe of ['healthz', 'ready', 'version', 'controller']) assert.equal((await fetchAnswer(`${server.url}/api/${probe}`)).status, 200, probe)
    } finally {
      for (const s of sockets) s.destroy()
      server.kill()
    }
  })
})
