/**
 * The function's settings for local runs, as on FC: `s.yaml`'s environment variables, then a `.env`
 * file, then the shell, each overriding the one before. Also reads the function's name, region,
 * timeout, memory and HTTP trigger.
 */
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { readDotEnvFile } from '../../client/local-target.js'

/** What `s.yaml` says of the function. */
export interface FunctionSettings {
  name: string
  region: string
  timeout: number
  memory: number
  environment: Record<string, string>
  /** The HTTP trigger's `authType`, or undefined when the function has no HTTP trigger. */
  httpAuthType?: string
}

/**
 * Reads the gateway resource of an `s.yaml` as Serverless Devs renders it: `${vars.x}` from its
 * `vars`, `${env('X')}` (or `${env.X}`) from `variables`, the `.env` file and shell it is deployed from.
 * @example readFunctionSettings('s.yaml', process.env).timeout // 30
 */
export function readFunctionSettings(
  path = 's.yaml',
  variables: Record<string, string | undefined> = {},
): FunctionSettings {
  const project = parse(readFileSync(path, 'utf8')) as {
    vars?: Record<string, unknown>
    resources: { gateway: { props: Record<string, unknown> } }
  }
  const fill = (value: unknown) =>
    String(value)
      .replace(/\$\{vars\.(\w+)\}/g, (_, name: string) => String(project.vars?.[name] ?? ''))
      .replace(/\$\{env\(['"](\w+)['"]\)\}|\$\{env\.(\w+)\}/g, (_, quoted?: string, dotted?: string) => {
        return variables[quoted ?? dotted ?? ''] ?? ''
      })
  const props = project.resources.gateway.props
  const environment = Object.fromEntries(
    Object.entries((props.environmentVariables ?? {}) as Record<string, unknown>).map(([name, value]) => [
      name,
      fill(value),
    ]),
  )
  const triggers = (props.triggers ?? []) as { triggerType?: string; triggerConfig?: { authType?: string } }[]
  return {
    name: fill(props.functionName),
    region: fill(props.region),
    timeout: Number(props.timeout ?? 3),
    memory: Number(props.memorySize ?? 512),
    environment,
    httpAuthType: triggers.find((trigger) => trigger.triggerType === 'http')?.triggerConfig?.authType,
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
export const readDotEnv: (path?: string) => Record<string, string> = readDotEnvFile
