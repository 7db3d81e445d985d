// Loopback and bind-address ports: whether one can be listened on, and free ones for tests and
// benchmarks. A port is tried by listening on it and closing again.
import net from 'node:net'

/** null when `host:port` can be listened on, else the error code (EADDRINUSE, EADDRNOTAVAIL, ...). */
export function listenProblem(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer()
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
    server.listen({ host: host.replace(/^\[|\]$/g, ''), port, exclusive: true }, () => server.close(() => resolve(null)))
  })
}

/** A port the system picks as free on `host`. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().once('error', reject)
    server.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

/** A free port whose next port is free too: prod and its upgrade candidate. */
export function freePortPair(host = '127.0.0.1'): Promise<number> {
  return freePorts(host, 2)
}

/** The first of `count` neighbouring free ports: behind the front, prod and one probe port per slot. */
export async function freePorts(host: string, count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort(host)
    if (port + count - 1 > 65535) continue
    let free = true
    for (let next = port + 1; free && next < port + count; next++) free = (await listenProblem(host, next)) === null
    if (free) return port
  }
  throw new Error(`found no ${count} free neighbouring ports on ${host} in 50 tries: free some ports and try again`)
}
