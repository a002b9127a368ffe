/**
 * The local runner's own settings (not the function's): where it listens, how it writes logs, and how
 * the embedded IoT emulator behaves from the start. Read once when `npm start` starts; a malformed
 * value stops it with a message that names the variable.
 */
import { FAULTS, type Fault, type FaultSpan } from '../iot-emulator/faults.js'

/** A fault the emulator is told to produce, by its documented name. */
export interface NamedFault {
  name: FaultName
  fault: Fault
  span: FaultSpan
}

/** Settings of `npm start`, with their documented defaults. */
export interface LocalSettings {
  /** `PORT`. @default 9000 */
  port: number
  /** `IOT_PUB_LOCAL_HOST`, never the generic `HOST` (other tools export it as 0.0.0.0). @default '127.0.0.1' */
  host: string
  /** `LOG_FORMAT`: `pretty` lines for a person, or the function's `json` lines. @default pretty on a TTY, else json */
  logFormat: 'pretty' | 'json'
  /** `LOG_LEVEL`: the least severe level shown. @default 'info' */
  logLevel: LogLevel
  /** `EMULATOR_DEVICES`: `productKey/deviceName` pairs; once set, other products and devices do not exist. @default every device exists */
  devices?: Map<string, string[]>
  /** `EMULATOR_QUOTA_QPS`: Pub calls the emulator accepts per second. @default unlimited */
  quotaQps?: number
  /** `EMULATOR_FAULTS`: faults injected from the start, e.g. `serviceUnavailable:3,reset:10s`. @default none */
  faults: NamedFault[]
}

/** Log levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** The faults that can be injected by name: IoT's own answers, and what the network does. */
export const NAMED_FAULTS = { ...FAULTS, timeout: FAULTS.hang } satisfies Record<string, Fault>
/** The name of an injectable fault. */
export type FaultName = keyof typeof NAMED_FAULTS

/** A setting `npm start` cannot use, or a condition it cannot start in; the message says what to change. */
export class LocalSettingsError extends Error {
  override name = 'LocalSettingsError'
}

/**
 * Reads the runner's settings from its environment (`.env` layered under the shell).
 * @param env - the variables, e.g. `{ ...readDotEnv(), ...process.env }`
 * @param isTty - whether standard output is a terminal, which picks the default log format
 * @throws LocalSettingsError naming the variable to fix
 * @example readLocalSettings({ PORT: '9001' }, false).port // 9001
 */
export function readLocalSettings(env: Record<string, string | undefined>, isTty: boolean): LocalSettings {
  return {
    port: port(env.PORT),
    host: env.IOT_PUB_LOCAL_HOST || '127.0.0.1',
    logFormat:
      oneOf('LOG_FORMAT', env.LOG_FORMAT, ['pretty', 'json'] as const) ?? (isTty ? 'pretty' : 'json'),
    logLevel: oneOf('LOG_LEVEL', env.LOG_LEVEL?.toLowerCase(), LOG_LEVELS) ?? 'info',
    devices: devices(env.EMULATOR_DEVICES),
    quotaQps: env.EMULATOR_QUOTA_QPS
      ? positiveInteger('EMULATOR_QUOTA_QPS', env.EMULATOR_QUOTA_QPS)
      : undefined,
    faults: (env.EMULATOR_FAULTS ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)
      .map((item) => parseFault(item, 'EMULATOR_FAULTS')),
  }
}

/**
 * A fault by name, for a number of calls (`serviceUnavailable:3`), a duration (`reset:10s`) or one call.
 * @param where - the variable or field the text came from, named in the error
 * @throws LocalSettingsError naming `where` and the known faults
 */
export function parseFault(text: string, where: string): NamedFault {
  const [, name = '', count, seconds] = /^([A-Za-z0-9]+)(?::(?:(\d+)|(\d+(?:\.\d+)?)s))?$/.exec(text) ?? []
  if (!Object.hasOwn(NAMED_FAULTS, name)) {
    throw new LocalSettingsError(
      `${where} has "${text}": use name, name:N (N calls) or name:Ns (N seconds), with a name among ${Object.keys(NAMED_FAULTS).join(', ')}`,
    )
  }
  const span = faultSpan(
    where,
    count === undefined ? undefined : Number(count),
    seconds === undefined ? undefined : Number(seconds),
  )
  return { name: name as FaultName, fault: NAMED_FAULTS[name as FaultName], span }
}

/**
 * How long a fault lasts: `times` calls, or `seconds`, or one call when neither is given.
 * @throws LocalSettingsError naming `where` when both are given or either is not positive
 */
export function faultSpan(where: string, times?: number, seconds?: number): FaultSpan {
  if (times !== undefined && seconds !== undefined) {
    throw new LocalSettingsError(`${where}: give either a number of calls or a duration, not both`)
  }
  if (seconds !== undefined) {
    if (!(seconds > 0 && seconds <= 86_400))
      throw new LocalSettingsError(`${where}: seconds must be between 0 and 86400`)
    return { durationMs: seconds * 1_000 }
  }
  const calls = times ?? 1
  if (!Number.isSafeInteger(calls) || calls < 1)
    throw new LocalSettingsError(`${where}: calls must be a whole number of 1 or more`)
  return { times: calls }
}

function port(value: string | undefined): number {
  if (value === undefined || value === '') return 9000
  const number = Number(value)
  if (!/^\d+$/.test(value) || number > 65_535) {
    throw new LocalSettingsError(`PORT must be a port number from 0 to 65535, not "${value}"`)
  }
  return number
}

function positiveInteger(name: string, value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new LocalSettingsError(`${name} must be a whole number of 1 or more, not "${value}"`)
  }
  return Number(value)
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined || value === '') return undefined
  if (!(allowed as readonly string[]).includes(value)) {
    throw new LocalSettingsError(`${name} must be one of ${allowed.join(', ')}, not "${value}"`)
  }
  return value as T
}

// `a1Q5XoYxxxx/device1,a1Q5XoYxxxx/device2,a1Other/`: a product with no device after the slash has none.
function devices(value: string | undefined): Map<string, string[]> | undefined {
  if (!value) return undefined
  const products = new Map<string, string[]>()
  for (const pair of value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const [, productKey = '', deviceName = ''] = /^([^/\s]+)\/([^/\s]*)$/.exec(pair) ?? []
    if (!productKey) {
      throw new LocalSettingsError(
        `EMULATOR_DEVICES has "${pair}": list productKey/deviceName pairs, comma-separated`,
      )
    }
    const known = products.get(productKey) ?? []
    products.set(productKey, deviceName ? [...known, deviceName] : known)
  }
  return products
}
