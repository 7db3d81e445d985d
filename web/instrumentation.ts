// Runs once when the Next server starts, before it serves a request.
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { startLifecycle } = await import('./server/lifecycle.ts')
    startLifecycle()
  }
}
