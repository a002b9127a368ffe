/** Builds signed `Pub` requests without pop-core, for tests of the emulator and the benchmark's floor. */
import { randomUUID } from 'node:crypto'
import { DEV_CREDENTIALS } from './server.js'
import { signRpc } from './signature.js'

/**
 * A `Pub` request's parameters, with the common ones (fresh nonce, current time) and its signature.
 * @param parameters - Pub's own parameters; they may also override a common one, e.g. `Timestamp`
 * @example new URLSearchParams(signPubRequest({ ProductKey: 'pk', TopicFullName: '/pk/d/user/get', MessageContent: 'aGk=' }))
 */
export function signPubRequest(
  parameters: Record<string, string>,
  credentials: { accessKeyId: string; accessKeySecret: string } = DEV_CREDENTIALS,
  method = 'POST',
): Record<string, string> {
  const unsigned: Record<string, string> = {
    Action: 'Pub',
    Version: '2018-01-20',
    Format: 'JSON',
    AccessKeyId: credentials.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    Timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    ...parameters,
  }
  return { ...unsigned, Signature: signRpc(method, unsigned, credentials.accessKeySecret) }
}
