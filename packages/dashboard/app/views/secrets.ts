/**
 * A signing secret to show once, on the next page: after a create or a rotation. Kept in memory
 * only, never in storage, and forgotten as soon as it is taken.
 */
const pending = new Map<string, string>()

export const revealSecret = (destinationId: string, secret: string) => {
  pending.set(destinationId, secret)
}

export const takeSecret = (destinationId: string): string | undefined => {
  const secret = pending.get(destinationId)
  pending.delete(destinationId)
  return secret
}
