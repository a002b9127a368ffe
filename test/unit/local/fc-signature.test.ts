import FCClient from '@alicloud/fc2'
import { describe, expect, it } from 'vitest'
import { verifyFcSignature } from '../../../dev/local/fc-signature.js'

const caller = { accessKeyId: 'LTAIcaller', accessKeySecret: 'caller-secret' }
const path = '/2016-08-15/services/default/functions/gw/invocations'

// Headers as fc2 builds them, signed by fc2's own signer.
function signedByFc2(secret = caller.accessKeySecret, date = new Date()) {
  const headers: Record<string, string> = {
    date: date.toUTCString(),
    'content-type': 'application/octet-stream',
    'content-md5': 'ZmFrZS1tZDU=',
    'x-fc-account-id': '123456',
    'x-fc-invocation-type': 'Sync',
  }
  const sign = (FCClient as unknown as { getSignature: (...args: unknown[]) => string }).getSignature
  headers.authorization = sign(caller.accessKeyId, secret, 'POST', path, headers, null)
  return headers
}

describe('verifyFcSignature', () => {
  it('accepts a request signed by @alicloud/fc2', () => {
    // Act + Assess
    expect(verifyFcSignature('POST', path, signedByFc2(), [caller])).toBeUndefined()
  })

  it('refuses a request signed with another secret', () => {
    // Act + Assess
    expect(verifyFcSignature('POST', path, signedByFc2('not-the-secret'), [caller])).toMatchObject({
      status: 403,
      code: 'SignatureNotMatch',
    })
  })

  it('refuses a request whose signed header was changed', () => {
    // Prepare
    const headers = { ...signedByFc2(), 'x-fc-invocation-type': 'Async' }

    // Act + Assess
    expect(verifyFcSignature('POST', path, headers, [caller])).toMatchObject({ code: 'SignatureNotMatch' })
  })

  it('refuses a date more than 15 minutes old', () => {
    // Act + Assess
    expect(
      verifyFcSignature(
        'POST',
        path,
        signedByFc2(caller.accessKeySecret, new Date(Date.now() - 16 * 60_000)),
        [caller],
      ),
    ).toMatchObject({
      code: 'RequestTimeTooSkewed',
    })
  })

  it('refuses an unknown key or no authorization', () => {
    // Act + Assess
    expect(verifyFcSignature('POST', path, signedByFc2(), [])).toMatchObject({ code: 'InvalidAccessKeyID' })
    expect(verifyFcSignature('POST', path, {}, [caller])).toMatchObject({ code: 'InvalidAccessKeyID' })
  })
})
