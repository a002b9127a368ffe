/** Starts an IoT emulator for one test file and stops it afterwards. */
import { afterAll, afterEach, beforeAll, vi } from 'vitest'
import { IotEmulator, type IotEmulatorOptions } from '../../dev/iot-emulator/server.js'

/**
 * An emulator listening on 127.0.0.1 for the tests of the calling file; a fresh one per test when
 * `options` must differ is made with `new IotEmulator()`.
 */
export function useEmulator(options?: IotEmulatorOptions): () => IotEmulator {
  let emulator: IotEmulator | undefined
  beforeAll(async () => {
    emulator = new IotEmulator(options)
    await emulator.start()
  })
  afterEach(() => {
    vi.unstubAllEnvs()
    emulator?.clearFaults()
  })
  afterAll(async () => {
    await emulator?.stop()
  })
  return () => {
    if (!emulator) throw new Error('the emulator starts in beforeAll')
    return emulator
  }
}
