/**
 * One call of Function Compute's invoke API through `@alicloud/fc2`. FC 3.0's own API is 2023-03-30:
 * `POST /2023-03-30/functions/{name}/invocations[?qualifier=]` on
 * `https://<accountId>.<region>.fc.aliyuncs.com`. fc2 speaks it once its `version` is set, as Serverless
 * Devs' fc3 component does for its 2023-03-30 instance-exec calls on the same host (its own invocations
 * use `@alicloud/fc20230330`). fc2 signs it as `FC <AccessKeyID>:<HMAC-SHA256>` over the method,
 * content-md5, content-type, date, the sorted `x-fc-*` headers and the versioned path; the query is not
 * signed. The 2016-08-15 path (`/services/{service}[.{qualifier}]/functions/{name}/invocations`) remains
 * for functions that still live in an FC 2.0 service.
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type FCClientClass from '@alicloud/fc2'
import { toClientError } from './errors.js'
import type { GatewayClientOptions } from './gateway-client.js'

/** Where the function is, and who calls it: the client's own options, less what only the client uses. */
export type InvokeTarget = Omit<GatewayClientOptions, 'maxBatchSize' | 'onLog'>

/** What one invocation sends. */
export interface InvokeRequest {
  payload: string
  invocationType: 'Sync' | 'Async'
  logType: 'None' | 'Tail'
}

/** FC's answer to an invocation that reached the function (or its queue). */
export interface InvokeAnswer {
  headers: Record<string, string | undefined>
  data: unknown
}

// FC's names: letters, digits, `_` and `-` (a `$` in functions migrated from FC 2.0); versions and aliases alike.
const NAME = /^[A-Za-z0-9_][\w$-]{0,127}$/
const QUALIFIER = /^[\w.-]{1,128}$/

/**
 * FC 3.0's invoke endpoint for an account and region, over HTTPS (fc2 defaults to plain HTTP).
 * @example fcEndpoint('1234567890', 'cn-shanghai') // 'https://1234567890.cn-shanghai.fc.aliyuncs.com'
 */
export function fcEndpoint(accountId: string, region: string): string {
  return `https://${accountId}.${region}.fc.aliyuncs.com`
}

/**
 * A function that invokes the target, throwing only the client's own errors.
 * @throws TypeError when the target is malformed (so that no name can reach into another path)
 */
export function createInvoker(target: InvokeTarget): (request: InvokeRequest) => Promise<InvokeAnswer> {
  checkTarget(target)
  const FCClient = loadFc2()
  const fc = new FCClient(target.accountId, {
    accessKeyID: target.credentials.accessKeyId,
    accessKeySecret: target.credentials.accessKeySecret,
    securityToken: target.credentials.securityToken,
    region: target.region,
    endpoint: target.endpoint ?? fcEndpoint(target.accountId, target.region),
    timeout: target.timeoutMs,
  })
  if (target.service === undefined) fc.version = '2023-03-30'
  return async ({ payload, invocationType, logType }) => {
    const headers = { 'x-fc-invocation-type': invocationType, 'x-fc-log-type': logType }
    try {
      if (target.service !== undefined) {
        return await fc.invokeFunction(
          target.service,
          target.functionName,
          payload,
          headers,
          target.qualifier,
        )
      }
      const query = target.qualifier === undefined ? null : { qualifier: target.qualifier }
      return await fc.post(`/functions/${target.functionName}/invocations`, payload, headers, query)
    } catch (error) {
      throw toClientError(error)
    }
  }
}

function checkTarget(target: InvokeTarget): void {
  const problems = [
    !/^\d+$/.test(target.accountId) && 'accountId must be the account’s digits',
    !/^[a-z]+(-[a-z0-9]+)+$/.test(target.region) && 'region must be a region id such as cn-shanghai',
    !NAME.test(target.functionName) && 'functionName must be an FC function name',
    target.service !== undefined && !NAME.test(target.service) && 'service must be an FC service name',
    target.qualifier !== undefined &&
      !QUALIFIER.test(target.qualifier) &&
      'qualifier must be a version or alias',
    !target.credentials.accessKeyId && 'credentials.accessKeyId is required',
    !target.credentials.accessKeySecret && 'credentials.accessKeySecret is required',
    (target.credentials.accessKeyId ?? '').startsWith('STS') &&
      !target.credentials.securityToken &&
      'credentials.securityToken is required with STS credentials',
  ].filter((problem): problem is string => typeof problem === 'string')
  if (problems.length > 0) throw new TypeError(`createGatewayClient: ${problems.join('; ')}`)
}

// fc2 (namespace `lambda`) and httpx (`httpx:*`) write every signed request, the security token and
// the signature included, to stderr when DEBUG names them, as DEBUG=* does. fc2's debug 2.x reads DEBUG
// once, when fc2 is first loaded, so fc2 is loaded with those names switched off; httpx's debug 4.x
// decides on each call, so they are switched off there too in case httpx was loaded before. Both
// write DEBUG back into the environment: the caller's own value is restored.
let fc2: typeof FCClientClass | undefined
function loadFc2(): typeof FCClientClass {
  if (fc2) return fc2
  const quiet = ',-lambda,-httpx:*'
  const { DEBUG } = process.env
  const require = createRequire(import.meta.url)
  try {
    process.env.DEBUG = `${DEBUG ?? ''}${quiet}`
    fc2 = require('@alicloud/fc2') as typeof FCClientClass
    const fromFc2 = createRequire(require.resolve('@alicloud/fc2'))
    const httpxDebug = createRequire(`${dirname(fromFc2.resolve('httpx/package.json'))}/package.json`)(
      'debug',
    ) as { enable(names: string): void; disable(): string }
    httpxDebug.enable(`${httpxDebug.disable()}${quiet}`)
    return fc2
  } finally {
    if (DEBUG === undefined) delete process.env.DEBUG
    else process.env.DEBUG = DEBUG
  }
}
