import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { connect } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'

// The runner as `npm start` runs it, after the build: one process, whose PID stops everything it started.
const RUNNER = ['--import', 'tsx', 'dev/local/start.ts']

interface Runner {
  child: ChildProcess
  stderr: () => string
  exited: Promise<number | null>
}

const started: ChildProcess[] = []

function run(env: Record<string, string>): Runner {
  const child = spawn(process.execPath, RUNNER, {
    env: { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.push(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  child.stdout?.resume()
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  return { child, stderr: () => stderr, exited }
}

async function listening(runner: Runner): Promise<string> {
  for (let waited = 0; waited < 12_000; waited += 50) {
    const url = /listening on (http:\/\/\S+) /.exec(runner.stderr())?.[1]
    if (url) return url
    if (runner.child.exitCode !== null) break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`the runner did not start: ${runner.stderr()}`)
}

// Whether anything still accepts connections on the URL's port.
function accepts(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((done) => {
    const socket = connect(Number(port), hostname)
    socket.once('connect', () => {
      socket.destroy()
      done(true)
    })
    socket.once('error', () => done(false))
  })
}

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
})

describe('the runner process (npm start)', () => {
  it('stops on SIGTERM to its PID, and with it the emulator and a call left hanging', async () => {
    // Prepare
    const runner = run({ PORT: '0', EMULATOR_FAULTS: 'timeout:5' })
    const url = await listening(runner)
    const health = (await (await fetch(`${url}/health`)).json()) as { iot: { endpoint: string } }
    const hanging = fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer local-dev-key' },
      body: JSON.stringify({ productKey: 'pk', deviceName: 'd', topic: 't', payload: 1 }),
    }).catch((error: Error) => error)

    // Act
    await new Promise((resolve) => setTimeout(resolve, 200))
    runner.child.kill('SIGTERM')
    const code = await runner.exited

    // Assess
    expect(code).toBe(0)
    expect(await accepts(url)).toBe(false)
    expect(await accepts(health.iot.endpoint)).toBe(false)
    await hanging
  })

  it('says a taken port is taken and names PORT, without a stack trace', async () => {
    // Prepare
    const first = run({ PORT: '0' })
    const port = new URL(await listening(first)).port

    // Act
    const second = run({ PORT: port })
    const code = await second.exited

    // Assess
    expect(code).toBe(1)
    expect(second.stderr()).toMatch(
      new RegExp(`^npm start: Port ${port} on 127\\.0\\.0\\.1 is already in use.*set PORT`),
    )
    expect(second.stderr()).not.toMatch(/\n\s+at /)
    expect(await accepts(await listening(first))).toBe(true)
  })

  it('refuses a setting the function cannot use when it starts, naming the variable, and listens on nothing', async () => {
    // Act
    const runner = run({ PORT: '0', MAX_PAYLOAD_BYTES: 'lots' })
    const code = await runner.exited

    // Assess
    expect(code).toBe(1)
    expect(runner.stderr()).toMatch(/^npm start: MAX_PAYLOAD_BYTES /)
    expect(runner.stderr()).not.toContain('listening')
    expect(runner.stderr()).not.toMatch(/\n\s+at /)
  })

  it('is what npm start runs, by exec, so that a signal to npm’s PID reaches it', () => {
    // Prepare
    const { scripts } = JSON.parse(readFileSync('package.json', 'utf8')) as {
      scripts: Record<string, string>
    }

    // Assess
    expect(scripts.start).toMatch(/&& exec node --import tsx dev\/local\/start\.ts$/)
  })
})
