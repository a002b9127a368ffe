// Runs the built bundle alone on one batch of 100 payloads of 256 KB and prints its peak RSS as JSON.
import { createRequire } from 'node:module'
import { resolve } from 'node:path'

process.env.GATEWAY_AUTH = 'none'
process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = 'LTAIemulatorDevKey01'
process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = 'emulator-dev-secret-not-for-production'
const { handler } = createRequire(import.meta.url)(resolve('dist/gateway/index.js'))

// The gateway logs one JSON line per invocation; only the figure matters here.
const write = process.stdout.write.bind(process.stdout)
process.stdout.write = (chunk, ...rest) =>
  String(chunk).startsWith('{"level":') ? true : write(chunk, ...rest)

const payload = 'x'.repeat(262_144)
const messages = Array.from({ length: 100 }, (_, n) => ({
  productKey: 'a1BenchPk01',
  deviceName: `device${n}`,
  topic: 'blob',
  payload,
}))
const body = JSON.stringify({ messages })
const event = Buffer.from(
  JSON.stringify({
    version: 'v1',
    rawPath: '/',
    body,
    headers: {},
    requestContext: { http: { method: 'POST' } },
  }),
)
const response = await handler(event, { requestId: 'memory', function: { name: 'bench', timeout: 60 } })
console.log(
  JSON.stringify({
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    status: response.statusCode,
  }),
)
