// The one edit a GitOps promotion makes: the image entry of an overlay's kustomization.yaml names the
// repository and the digest. Pure, text in and text out, through yaml's Document so that comments,
// order and every other line stay as they were.
import { isMap, isScalar, isSeq, parseDocument, type Document, type YAMLMap } from 'yaml'
import { ConfigError } from '../errors.ts'

/** What the `images:` entry called `name` is set to: `newName` and `digest`, and no `newTag`. */
export interface ImagePin {
  name: string
  newName: string
  digest: string
}

export interface PinnedKustomization {
  text: string
  /** False when the entry already named exactly this repository and digest: `text` is the input. */
  changed: boolean
  /** What the entry named before, for the progress line: `newName@digest`, `newName:newTag` or `(none)`. */
  before: string
}

/** Set the image entry `pin.name` of the kustomization `text` (read from `source`, named in errors). */
export function pinKustomizationImage(text: string, pin: ImagePin, source: string): PinnedKustomization {
  const document = parseDocument(text)
  if (document.errors.length > 0) {
    throw new ConfigError(`${source} is not YAML (${document.errors[0]!.message.split('\n')[0]}): fix it in the GitOps repository`)
  }
  if (!isMap(document.contents)) throw new ConfigError(`${source} is not a kustomization (no mapping of keys): point gitops.overlay at the folder of the overlay's kustomization.yaml`)
  const images = document.get('images')
  const entries = isSeq(images) ? images.items.filter((item): item is YAMLMap => isMap(item)) : []
  const entry = entries.find((item) => item.get('name') === pin.name)
  if (!entry) {
    const names = entries.map((item) => String(item.get('name')))
    const has = names.length ? `its images: ${names.join(', ')}` : 'it has no images: list'
    throw new ConfigError(
      `${source} names no image ${pin.name} (${has}): set gitops.image in the targets file to the name the overlay's images entry uses, or add an entry with name: ${pin.name} to it`,
    )
  }
  const [newName, digest, newTag] = ['newName', 'digest', 'newTag'].map((key) => entry.get(key) as unknown)
  const before = digest ? `${String(newName ?? pin.name)}@${String(digest)}` : newTag ? `${String(newName ?? pin.name)}:${String(newTag)}` : '(none)'
  if (newName === pin.newName && digest === pin.digest && newTag === undefined) return { text, changed: false, before }
  return { text: replacedValues(text, entry, pin) ?? rewritten(document, entry, pin), changed: true, before }
}

/**
 * Once the entry names a repository and a digest, each later promotion replaces just those two values
 * in the text, so the commit's diff is those two lines and nothing else moves (yaml's own output would
 * also even out the spaces before a comment). Null when the entry is not of that shape yet.
 */
function replacedValues(text: string, entry: YAMLMap, pin: ImagePin): string | null {
  if (entry.has('newTag')) return null
  const edits: { start: number; end: number; value: string }[] = []
  for (const key of ['newName', 'digest'] as const) {
    const node = entry.get(key, true)
    if (!isScalar(node) || !node.range) return null
    edits.push({ start: node.range[0], end: node.range[1], value: pin[key] })
  }
  // From the end of the text, so the offsets of the other value stay right.
  return edits.sort((a, b) => b.start - a.start).reduce((edited, e) => edited.slice(0, e.start) + e.value + edited.slice(e.end), text)
}

/** The first promotion of an entry (a tag, or no digest yet): set both keys and drop the tag through the Document. */
function rewritten(document: Document, entry: YAMLMap, pin: ImagePin): string {
  entry.set('newName', pin.newName)
  entry.set('digest', pin.digest)
  // With a digest kustomize ignores the tag; left beside it, the tag would name a release that does not run.
  entry.delete('newTag')
  return document.toString({ lineWidth: 0 })
}
