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

/** The values to look for in captured logs. */
export const TEST_SECRETS = [
  TEST_API_KEY,
  TEST_STS.accessKeySecret,
  TEST_STS.securityToken,
  DEV_CREDENTIALS.accessKeySecret,
]
