import path from 'node:path'
import type { NextConfig } from 'next'

// The app imports the toolkit's lib/, so the repo root is the root Next traces and compiles from.
const repoRoot = path.join(__dirname, '..')

const nextConfig: NextConfig = {
  output: 'standalone',
  outputFileTracingRoot: repoRoot,
  turbopack: { root: repoRoot },
  // scripts/build-web-host.ts names each build; the name is also its staged folder.
  generateBuildId: async () => process.env.SF_WEB_BUILD_ID ?? null,
  poweredByHeader: false,
  // `npm run typecheck` checks the app with the toolkit; the build need not do it again.
  typescript: { ignoreBuildErrors: true },
}

export default nextConfig
