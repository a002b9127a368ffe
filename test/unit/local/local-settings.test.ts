import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FAULTS } from '../../../dev/iot-emulator/faults.js'
import { LocalSettingsError, parseFault, readLocalSettings } from '../../../dev/local/local-settings.js'

describe('readLocalSettings', () => {
  it('has the documented defaults: port 9000 on 127.0.0.1, info, pretty on a TTY and JSON otherwise', () => {
    // Act
    const onTty = readLocalSettings({}, true)
    const piped = readLocalSettings({}, false)

    // Assess
    expect(onTty).toEqual({
      port: 9000,
      host: '127.0.0.1',
      logFormat: 'pretty',
      logLevel: 'info',
      devices: undefined,
      quotaQps: undefined,
      faults: [],
    })
    expect(piped.logFormat).toBe('json')
  })

  it('reads every variable', () => {
    // Act
    const settings = readLocalSettings(
      {
        PORT: '0',
        IOT_PUB_LOCAL_HOST: '::1',
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'WARN',
        EMULATOR_DEVICES: 'pk/d1, pk/d2,other/',
        EMULATOR_QUOTA_QPS: '5',
        EMULATOR_FAULTS: 'serviceUnavailable:3, reset:1.5s,timeout',
      },
      true,
    )

    // Assess
    expect(settings).toMatchObject({ port: 0, host: '::1', logFormat: 'json', logLevel: 'warn', quotaQps: 5 })
    expect(settings.devices).toEqual(
      new Map([
        ['pk', ['d1', 'd2']],
        ['other', []],
      ]),
    )
    expect(settings.faults).toEqual([
      { name: 'serviceUnavailable', fault: FAULTS.serviceUnavailable, span: { times: 3 } },
      { name: 'reset', fault: FAULTS.reset, span: { durationMs: 1500 } },
      { name: 'timeout', fault: FAULTS.hang, span: { times: 1 } },
    ])
  })

  it.each([
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['LOG_FORMAT', 'yaml'],
    ['LOG_LEVEL', 'verbose'],
    ['EMULATOR_QUOTA_QPS', '0'],
    ['EMULATOR_QUOTA_QPS', '2.5'],
    ['EMULATOR_DEVICES', 'pk'],
    ['EMULATOR_DEVICES', 'pk/d/extra'],
    ['EMULATOR_FAULTS', 'serviceUnavailable:0'],
    ['EMULATOR_FAULTS', 'fire:3'],
    ['EMULATOR_FAULTS', 'reset:0s'],
    ['EMULATOR_FAULTS', 'constructor'],
  ])('refuses %s=%s with a message naming the variable', (name, value) => {
    // Assess
    expect(() => readLocalSettings({ [name]: value }, false)).toThrow(LocalSettingsError)
    expect(() => readLocalSettings({ [name]: value }, false)).toThrow(name)
  })

  it('accepts any PORT of digits up to 65535, and names PORT for anything else', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        // Act
        const read = () => readLocalSettings({ PORT: value }, false).port
        const valid = /^\d+$/.test(value) && Number(value) <= 65_535

        // Assess
        if (value === '') expect(read()).toBe(9000)
        else if (valid) expect(read()).toBe(Number(value))
        else expect(read).toThrow(/^PORT must be/)
      }),
    )
  })
})

describe('parseFault', () => {
  it('names the field and lists the faults it knows', () => {
    // Assess
    expect(() => parseFault('503', 'fault')).toThrow(/^fault has "503": .*serviceUnavailable.*reset.*timeout/)
  })
})
