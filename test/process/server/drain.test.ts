// Cooperative drain on SIGTERM, the cap, and the loader's refusals.
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, test } from 'node:test'
import { fetchAnswer, waitFor } from '../../../lib/probe.ts'
import { distPaths } from '../../../lib/paths.ts'
import { freePort, startServer } from '../../support/server.ts'
import { execFile } from 'node:child_process'

describe('SIGTERM', () => {
  test('lets a slow in-flight request finish with 200 while /api/ready answers 503, then exits 0', async () => {
    const server = await startServer({ env: { SF_RPC_SHUTDOWN_GRACE_MS: '120000' } })
    try {
      const auth = { authorization: `Bearer ${server.adminToken()}` }
      const slow = fetchAnswer(`${server.url}/api/hold?ms=3000`, { headers: auth, timeoutMs: 20_000 })
      await waitFor(`${server.url}/api/drain`, { headers: auth, deadlineMs: 5000, accept: (a) => JSON.stringify(a.json).includes('held requests') })
      server.child.kill('SIGTERM')
      const ready = await waitFor(`${server.url}/api/ready`, { deadlineMs: 5000, accept: (a) => a.status === 503 })
      assert.match(String((ready.json as { reason: string }).reason), /draining \(SIGTERM\)/)
      const answer = await slow
      assert.equal(answer.status, 200, answer.body)
      assert.deepEqual(answer.json, { heldMs: 3000 })
      // 0 means the drain ended because the work was done: at the cap it exits 1.
      assert.equal(await server.exited, 0, server.output())
      assert.match(server.output(), /drained in \d+ ms; exiting 0/)
    } finally {
      server.kill()
    }
  })

  test('SIGHUP (a closed terminal) drains the same way: the slow request finishes, exit 0', async () => {
    const server = await startServer()
    try {
      const auth = { authorization: `Bearer ${server.adminToken()}` }
      const slow = fetchAnswer(`${server.url}/api/hold?ms=2000`, { headers: auth, timeoutMs: 20_000 })
      await waitFor(`${server.url}/api/drain`, { headers: auth, deadlineMs: 5000, accept: (a) => JSON.stringify(a.json).includes('held requests') })
      server.child.kill('SIGHUP')
      assert.equal((await slow).status, 200)
      assert.equal(await server.exited, 0, server.output())
      assert.match(server.output(), /SIGHUP: draining/)
    } finally {
      server.kill()
    }
  })

  test('exits non-zero at SF_RPC_SHUTDOWN_GRACE_MS, logging what still ran', async () => {
    const server = await startServer({ env: { SF_RPC_SHUTDOWN_GRACE_MS: '1500' } })
    try {
      const auth = { authorization: `Bearer ${server.adminToken()}` }
      const slow = fetchAnswer(`${server.url}/api/hold?ms=60000`, { headers: auth, timeoutMs: 70_000 }).catch((e: Error) => e)
      await waitFor(`${server.url}/api/drain`, { headers: auth, deadlineMs: 5000, accept: (a) => JSON.stringify(a.json).includes('held requests') })
      server.child.kill('SIGTERM')
      assert.equal(await server.exited, 1, server.output())
      assert.match(server.output(), /drain cap of 1500 ms reached; still running: .*held requests/)
      assert.ok((await slow) instanceof Error, 'the held request was cut off at the cap')
    } finally {
      server.kill()
    }
  })

  test('a connection with no complete request (part of one, or nothing) does not hold the drain: exit 0 at once', async () => {
    const server = await startServer({ env: { SF_RPC_SHUTDOWN_GRACE_MS: '60000' } })
    const open = (request: string) =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1', () => resolve(socket)).on('error', reject)
        if (request) socket.write(request)
      })
    const sockets = [await open('GET /api/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'), await open('')]
    try {
      for (const s of sockets) s.on('error', () => {}) // the server may reset them; that is the point
      const started = Date.now()
      server.child.kill('SIGTERM')
      const code = await Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve('still running after 10 s'), 10_000))])
      assert.equal(code, 0, server.output())
      assert.ok(Date.now() - started < 10_000)
      assert.match(server.output(), /drained in \d+ ms; exiting 0/)
    } finally {
      for (const s of sockets) s.destroy()
      server.kill()
    }
  })

  test('requests pipelined on a connection the client then closed do not hold the drain: exit 0 at once', async () => {
    const server = await startServer({ env: { SF_RPC_SHUTDOWN_GRACE_MS: '60000' } })
    try {
      const socket = await connect(server.port)
      socket.write('GET /api/healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(2000))
      await new Promise((resolve) => setTimeout(resolve, 10))
      socket.destroy()
      await new Promise((resolve) => setTimeout(resolve, 500))
      server.child.kill('SIGTERM')
      assert.equal(await exitWithin(server, 15_000), 0, server.output())
      assert.match(server.output(), /drained in \d+ ms; exiting 0/)
    } finally {
      server.kill()
    }
  })

  test('a request body that never finishes does not hold the drain, nor does one begun after it started', async () => {
    const server = await startServer({ env: { SF_RPC_SHUTDOWN_GRACE_MS: '60000' } })
    const trickle = async () => {
      const socket = await connect(server.port)
      socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000000\r\n\r\n')
      const timer = setInterval(() => socket.write('0123456789'), 500)
      socket.once('close', () => clearInterval(timer))
      return socket
    }
    const sockets = [await trickle()]
    try {
      // Real work keeps the drain going while a second trickle starts.
      const auth = { authorization: `Bearer ${server.adminToken()}` }
      const slow = fetchAnswer(`${server.url}/api/hold?ms=3000`, { headers: auth, timeoutMs: 20_000 })
      await waitFor(`${server.url}/api/drain`, { headers: auth, deadlineMs: 5000, accept: (a) => JSON.stringify(a.json).includes('held requests') })
      server.child.kill('SIGTERM')
      await waitFor(`${server.url}/api/ready`, { deadlineMs: 5000, accept: (a) => a.status === 503 })
      sockets.push(await trickle())
      assert.equal((await slow).status, 200)
      assert.equal(await exitWithin(server, 20_000), 0, server.output())
    } finally {
      for (const s of sockets) s.destroy()
      server.kill()
    }
  })

  test('reaches the web host when the loader is killed: it drains and frees the port', async () => {
    const server = await startServer()
    server.child.kill('SIGKILL')
    await server.exited
    await waitFor(`${server.url}/api/healthz`, { deadlineMs: 15_000, accept: () => false }).catch(() => {})
    const refused = await fetchAnswer(`${server.url}/api/healthz`).then(
      () => false,
      (e: { code?: string }) => e.code === 'ECONNREFUSED',
    )
    server.kill()
    assert.ok(refused, 'the orphaned web host still listens')
  })
})

/** A raw connection, for what no HTTP client sends; errors (the server may reset it) are ignored. */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.off('error', reject).on('error', () => {})
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/** The exit code, or a sentence saying the server still ran after `ms`. */
function exitWithin(server: { exited: Promise<number> }, ms: number): Promise<number | string> {
  return Promise.race([server.exited, new Promise<string>((resolve) => setTimeout(() => resolve(`still running after ${ms} ms`), ms).unref())])
}

describe('the loader refuses', () => {
  const loader = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [distPaths().loader, ...args], { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } }, (error, _out, stderr) =>
        resolve({ code: error ? Number(error.code) : 0, stderr }),
      )
    })

  test('bad configuration with one message listing every bad variable, before starting anything', async () => {
    const port = await freePort()
    const { code, stderr } = await loader(['server', 'no/such/dir', '--port', '70000', '--host', '0.0.0.0.0'], { SF_RPC_SHUTDOWN_GRACE_MS: 'abc', SF_WORKSPACES_DIR: 'relative' })
    assert.equal(code, 2)
    for (const expected of [/<workspace> ".*no\/such\/dir" \(SF_WORKSPACE_DIR\): must be an existing directory/, /--port "70000" \(SF_WEB_PORT\): must be a whole number from 1 to 65535/, /--host "0\.0\.0\.0\.0" \(SF_WEB_HOST\): must be an IPv4 address/, /SF_RPC_SHUTDOWN_GRACE_MS="abc": must be a whole number of milliseconds/, /SF_WORKSPACES_DIR="relative": must be an absolute path/]) {
      assert.match(stderr, expected)
    }
    assert.equal(stderr.match(/^error:/gm)?.length, 1, 'one message')
    assert.doesNotMatch(stderr, /web host pid/)
    const listening = await fetchAnswer(`http://127.0.0.1:${port}/api/healthz`).then(() => true, () => false)
    assert.equal(listening, false)
  })

  test('a port that is already taken, naming it and the fix', async () => {
    const blocker = net.createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => blocker.once('listening', resolve))
    const { port } = blocker.address() as net.AddressInfo
    try {
      const { code, stderr } = await loader(['server', '.', '--port', String(port)])
      assert.equal(code, 2)
      assert.match(stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use: .*--port`))
    } finally {
      blocker.close()
    }
  })

  test('--help documents the command', async () => {
    const { code } = await loader(['--help'])
    assert.equal(code, 0)
    const help = await new Promise<string>((resolve) => execFile(process.execPath, [distPaths().loader, '--help'], (_e, out) => resolve(out)))
    assert.match(help, /usage: node dist\/loader\.js server <workspace> \[--host H\] \[--port P\]/)
    assert.match(help, /SF_RPC_SHUTDOWN_GRACE_MS/)
  })
})
