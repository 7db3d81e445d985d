// A content digest of a folder tree: every file's path and bytes, every link's path and target, in a
// fixed order. Two trees with the same digest serve the same code.
import { createHash } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'

export async function digestTree(root: string, exclude: (relative: string) => boolean = () => false): Promise<string> {
  const hash = createHash('sha256')
  const walk = async (dir: string): Promise<void> => {
    const entries = (await fs.readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const full = path.join(dir, entry.name)
      const relative = path.relative(root, full).split(path.sep).join('/')
      if (exclude(relative)) continue
      if (entry.isDirectory()) {
        hash.update(`d ${relative}\n`)
        await walk(full)
      } else if (entry.isSymbolicLink()) {
        hash.update(`l ${relative} ${await fs.readlink(full)}\n`)
      } else if (entry.isFile()) {
        const bytes = createHash('sha256').update(await fs.readFile(full)).digest('hex')
        hash.update(`f ${relative} ${bytes}\n`)
      }
    }
  }
  await walk(root)
  return `sha256:${hash.digest('hex')}`
}
