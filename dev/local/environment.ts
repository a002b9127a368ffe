/**
 * The function's settings for local runs, as on FC: `s.yaml`'s environment variables, then a `.env`
 * file, then the shell, each overriding the one before. Also reads the function's timeout and memory.
 */
import { existsSync, readFileSync } from 'node:fs'
import { parseEnv } from 'node:util'
import { parse } from 'yaml'

/** What `s.yaml` says of the function. */
export interface FunctionSettings {
  name: string
  timeout: number
  memory: number
  environment: Record<string, string>
}

/**
 * Reads the gateway resource of an `s.yaml`, filling `${vars.x}` from its `vars`.
 * @example readFunctionSettings('s.yaml').timeout // 30
 */
export function readFunctionSettings(path = 's.yaml'): FunctionSettings {
  const project = parse(readFileSync(path, 'utf8')) as {
    vars?: Record<string, unknown>
    resources: { gateway: { props: Record<string, unknown> } }
  }
  const fill = (value: unknown) =>
    String(value).replace(/\$\{vars\.(\w+)\}/g, (_, name: string) => String(project.vars?.[name] ?? ''))
  const props = project.resources.gateway.props
  const environment = Object.fromEntries(
    Object.entries((props.environmentVariables ?? {}) as Record<string, unknown>).map(([name, value]) => [
      name,
      fill(value),
    ]),
  )
  return {
    name: fill(props.functionName),
    timeout: Number(props.timeout ?? 3),
    memory: Number(props.memorySize ?? 512),
    environment,
  }
}

/**
 * The environment the function sees: each layer overrides the ones before it; empty values count as
 * unset, as FC treats them.
 * @param layers - from weakest to strongest, e.g. s.yaml, local defaults, .env, the shell
 */
export function layerEnvironment(...layers: Record<string, string | undefined>[]): Record<string, string> {
  const merged: Record<string, string> = {}
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer))
      if (value !== undefined && value !== '') merged[name] = value
  }
  return merged
}

/** The variables of a `.env` file, or none when there is no such file. */
export function readDotEnv(path = '.env'): Record<string, string> {
  return existsSync(path) ? (parseEnv(readFileSync(path, 'utf8')) as Record<string, string>) : {}
}
