// One rule for an image reference, wherever it is given: a flag, the environment, the manifest.

export function isImageReference(value: string): boolean {
  return /^[\w.\-/:@]+$/.test(value)
}
