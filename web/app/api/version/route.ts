import { serverContext } from '../../../server/context.ts'
import { json } from '../../../server/respond.ts'

export const dynamic = 'force-dynamic'

/** The manifest this process started with, the image it runs from, start time and uptime. */
export function GET() {
  const { manifest, manifestProblem, startedAt, config } = serverContext()
  if (!manifest) return json({ error: manifestProblem }, 503)
  return json({
    manifest,
    // The deployer knows the image (and its digest) only after the build, so it passes them in.
    runningImage: { tag: config.SF_IMAGE_TAG ?? manifest.image.tag, digest: config.SF_IMAGE_DIGEST ?? manifest.image.digest },
    startedAt: startedAt.toISOString(),
    uptimeSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
  })
}
