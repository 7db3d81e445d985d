// Clients that pipeline many requests on a connection and never read the answers: the web host
// serves a connection's requests one at a time, so its memory stays bounded and the probes answer.
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import { describe, test } from 'node:test'
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
