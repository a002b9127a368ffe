// Keeps the gateway's JSON log lines out of the test output and available to assertions.
import { afterEach } from 'vitest'
import { clearCapturedLogs, installLogCapture } from '../helpers/logs.js'

installLogCapture()
afterEach(() => clearCapturedLogs())
