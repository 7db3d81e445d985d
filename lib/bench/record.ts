// Where a benchmark's figures go: the machine they were measured on, and one JSON file per run.
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

export function machine(dockerVersion: string): Record<string, unknown> {
  const cpus = os.cpus()
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    dockerEngine: dockerVersion,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  }
}

/** Write `<resultsDir>/<kind>-<time>.json`; returns the file. */
export async function writeResult(resultsDir: string, kind: string, at: Date, result: unknown): Promise<string> {
  const file = path.join(resultsDir, `${kind}-${stamp(at)}.json`)
  await fs.mkdir(resultsDir, { recursive: true })
  await fs.writeFile(file, JSON.stringify(result, null, 2) + '\n')
  return file
}

/** 20250102T030405Z: ISO 8601 basic, safe in a file name. */
function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
}

/** The machine's 1-minute load average: the engine and the CPUs are shared, so every run records it. */
export function loadAverage1m(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100
}
