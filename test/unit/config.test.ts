import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { loadConfig } from '../../src/config-load.js'

describe('loadConfig', () => {
  it('uses the defaults with an empty environment', () => {
    expect(loadConfig({}, {})).toEqual({ ...DEFAULT_CONFIG, dataDir: path.resolve('./data') })
  })

  it('layers config file < environment < flags', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'medialib-config-'))
    const file = path.join(dir, 'medialib.yaml')
    writeFileSync(file, 'port: 4000\nhost: 0.0.0.0\nlimits:\n  entriesPerRequest: 50\n')
    const env = { MEDIALIB_CONFIG: file, MEDIALIB_PORT: '5000', MEDIALIB_DATA_DIR: '/tmp/x' }
    const config = loadConfig({ port: '6000' }, env)
    expect(config.port).toBe(6000)
    expect(config.host).toBe('0.0.0.0')
    expect(config.dataDir).toBe('/tmp/x')
    expect(config.limits).toEqual({ ...DEFAULT_CONFIG.limits, entriesPerRequest: 50 })
    expect(loadConfig({}, env).port).toBe(5000)
  })

  it('refuses invalid values, naming them', () => {
    expect(() => loadConfig({ port: 'eighty' }, {})).toThrow("--port must be an integer, got 'eighty'")
    expect(() => loadConfig({}, { MEDIALIB_PORT: '70000' })).toThrow(/Invalid configuration: \/port/)
    expect(() => loadConfig({}, { MEDIALIB_LOG_LEVEL: 'loud' })).toThrow(/\/logLevel/)
    const dir = mkdtempSync(path.join(tmpdir(), 'medialib-config-'))
    const file = path.join(dir, 'c.json')
    writeFileSync(file, '{"colour": "blue"}')
    expect(() => loadConfig({ config: file }, {})).toThrow(
      `unknown config key 'colour' in ${file}; valid keys here: host, port, dataDir, databaseUrl,`,
    )
    writeFileSync(file, '{not json')
    expect(() => loadConfig({ config: file }, {})).toThrow(/Cannot parse config file/)
    expect(() => loadConfig({ config: path.join(dir, 'missing.yaml') }, {})).toThrow(
      /Cannot read config file/,
    )
  })
})
