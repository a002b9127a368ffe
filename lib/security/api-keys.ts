/**
 * Authenticates HTTP callers by API key: `Authorization: Bearer <key>` against the configured keys,
 * compared in constant time so that response timing reveals nothing of a key.
 */
import { createHash, timingSafeEqual } from 'node:crypto'

/** Why a caller was or was not let in. */
export type KeyCheck = 'accepted' | 'missing' | 'invalid'

/**
 * Checks an Authorization header against the accepted keys.
 * @param header - the raw header value, e.g. `Bearer k-123`
 * @example checkBearerKey('Bearer k-123', ['k-123']) // 'accepted'
 */
export function checkBearerKey(header: string | undefined, keys: readonly string[]): KeyCheck {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')
  if (!match?.[1]) return 'missing'
  const offered = digest(match[1])
  // Every key is compared, whichever matches, and digests make the lengths equal.
  let accepted = false
  for (const key of keys) accepted = timingSafeEqual(offered, digest(key)) || accepted
  return accepted ? 'accepted' : 'invalid'
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest()
}
