/**
 * The percent-encoding pop-core's RPC client is given in the bundle (scripts/build.mjs swaps it in for
 * the client's own `encode`): RFC 3986, as the RPC signature requires. The client encodes every key,
 * every value and then the whole query as it signs a call; its five chained global replaces per string
 * were the largest share of signing a Pub.
 */

// What encodeURIComponent leaves as it is but RFC 3986 reserves.
const RESERVED = /[!'()*]/
const RESERVED_ALL = /[!'()*]/g

/**
 * Text percent-encoded as pop-core's `encode` does it, scanning it once more only when it holds one of
 * `!'()*`.
 * @example encode("a b*") // 'a%20b%2A'
 */
export function encode(text: string): string {
  const encoded = encodeURIComponent(text)
  return RESERVED.test(encoded) ? encoded.replace(RESERVED_ALL, escapeReserved) : encoded
}

function escapeReserved(character: string): string {
  return `%${character.charCodeAt(0).toString(16).toUpperCase()}`
}
