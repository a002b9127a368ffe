/** Every secret the tests use: none of them may appear in any log line the suite captures. */
import { DEV_CREDENTIALS } from '../../dev/iot-emulator/server.js'

/** The API key test callers present. */
export const TEST_API_KEY = 'test-api-key-4f1c9a7e2b'

/** STS credentials a test hands the gateway in FC's context. */
export const TEST_STS = {
  accessKeyId: 'STS.NUgYrLnoC37mZZCNnAbez',
  accessKeySecret: 'sts-secret-7d3e1f0a9c',
  securityToken: 'CAIS-sts-token-5b8e2d4c1a',
}

/** Two rotations of a role's STS credentials. */
export const ROTATED_STS = [
  { accessKeyId: 'STS.first', accessKeySecret: 'first-secret-8c2d', securityToken: 'first-token-3e9a' },
  { accessKeyId: 'STS.second', accessKeySecret: 'second-secret-1f7b', securityToken: 'second-token-6d4c' },
] as const

/** STS credentials shaped like real ones: the token is long base64 with `+`, `/` and `=`. */
export const STS_SHAPED = {
  accessKeyId: 'STS.NT3kQ9vR2mXcLw8Zp1Yb',
  accessKeySecret: 'Gx7+Qm2/Lp9vR4tYw1Zc8Kd3Nf6Hj0Bs=',
  securityToken: `CAIS+gF1q6Ft5B2yfSjIr5bRP/NuL9XZ1Jf+Vm8r==${'ZGV2aWNlK3Rva2VuL3NoYXBlZA=='.repeat(12)}GhoSH+Ak/cQ=`,
}

// RFC 3986 percent-encoding, as the RPC signature applies it.
const percentEncode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

/** Every spelling a secret may travel in: raw, percent-encoded once and twice (either hex case), form-decoded. */
export function spellingsOf(secret: string): string[] {
  const lower = (text: string) => text.replace(/%[0-9A-F]{2}/g, (sequence) => sequence.toLowerCase())
  const once = percentEncode(secret)
  const twice = percentEncode(once)
  return [secret, once, twice, lower(once), lower(twice), secret.replaceAll('+', ' ')]
}

/** A secret the gateway is configured with but IoT refuses. */
export const WRONG_SECRET = 'wrong-secret-never-shown'

/** The password test Redis servers require (`requirepass`), in REDIS_URL as `:…@`. */
export const TEST_REDIS_PASSWORD = 'redis-pass-2c8f/6a1e'

/** The values to look for in captured logs. */
export const TEST_SECRETS = [
  TEST_API_KEY,
  TEST_STS.accessKeySecret,
  TEST_STS.securityToken,
  ...ROTATED_STS.flatMap((credentials) => [credentials.accessKeySecret, credentials.securityToken]),
  WRONG_SECRET,
  DEV_CREDENTIALS.accessKeySecret,
  ...spellingsOf(STS_SHAPED.accessKeySecret),
  ...spellingsOf(STS_SHAPED.securityToken),
  TEST_REDIS_PASSWORD,
  encodeURIComponent(TEST_REDIS_PASSWORD),
]
