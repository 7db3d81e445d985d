// Runs once when the Next server starts, before it serves a request. A server that cannot start
// properly exits, rather than answering 500 to every request.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    try {
      const { startLifecycle } = await import('./server/lifecycle.ts')
      startLifecycle()
    } catch (error) {
      process.stderr.write(`sf: cannot start: ${(error as Error).message}\n`)
      process.exit(1)
    }
  }
}
