// Keeps the gateway's JSON log lines out of the test output and available to assertions, and proves
// after each test file that none of the test secrets was ever logged.
import { afterAll, afterEach, expect } from 'vitest'
import { allLogLines, clearCapturedLogs, installLogCapture } from '../helpers/logs.js'
import { TEST_SECRETS } from '../helpers/secrets.js'

installLogCapture()
afterEach(() => clearCapturedLogs())
afterAll(() => {
  const logged = allLogLines().join('\n')
  for (const secret of TEST_SECRETS) expect(logged, 'a test secret reached a log line').not.toContain(secret)
})
