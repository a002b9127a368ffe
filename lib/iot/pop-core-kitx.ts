/**
 * The kitx that pop-core's RPC client is given in the bundle (scripts/build.mjs swaps it in): the three
 * helpers the client calls to sign. kitx made each SignatureNonce by hashing Math.random() with md5, the
 * largest cost of signing a Pub left after the percent-encoding; here it is a random UUID.
 */
import { type BinaryToTextEncoding, createHmac, randomUUID } from 'node:crypto'

/**
 * A SignatureNonce: IoT asks only that no two calls share one. Drawn from Node's CSPRNG, which hands out
 * UUIDs from a buffered batch of random bytes.
 */
export function makeNonce(): string {
  return randomUUID()
}

/**
 * The HMAC-SHA1 of `data` under `key`, as the RPC signature v1 is computed.
 * @example sha1(stringToSign, `${accessKeySecret}&`, 'base64')
 */
export function sha1(data: string, key: string, encoding: BinaryToTextEncoding): string {
  return createHmac('sha1', key).update(data).digest(encoding)
}

/** A timestamp field below 100 as two digits. */
export function pad2(value: number): string {
  return value < 10 ? `0${value}` : `${value}`
}
