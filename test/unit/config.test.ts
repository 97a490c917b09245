import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { DEFAULT_CONFIG } from '../../src/config.js'
import { loadConfig } from '../../src/config-load.js'
import { assetUrlOf } from '../../src/storage/asset-url.js'

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

  it('reads the storage namespaces and the queue cap from the environment, and refuses a bad project prefix', () => {
    const config = loadConfig(
      {},
      {
        MEDIALIB_S3_PROJECT_PREFIX: 'tenants/{project}/',
        MEDIALIB_S3_PROJECT_BUCKETS: 'alpha=alpha-media, beta=beta-media',
        MEDIALIB_MAX_IN_FLIGHT_PER_PROJECT: '3',
      },
    )
    expect(config.storage.s3.projectPrefix).toBe('tenants/{project}/')
    expect(config.storage.s3.projectBuckets).toEqual({ alpha: 'alpha-media', beta: 'beta-media' })
    expect(config.jobs.maxInFlightPerProject).toBe(3)
    expect(() => loadConfig({}, { MEDIALIB_S3_PROJECT_PREFIX: 'no-placeholder/' })).toThrow(/projectPrefix/)
    expect(() => loadConfig({}, { MEDIALIB_S3_PROJECT_BUCKETS: 'alpha' })).toThrow(/projectBuckets/)
  })
})

describe('the issue 13 settings', () => {
  it('read the import budget, image time limit and asset origin from the environment', () => {
    const config = loadConfig(
      {},
      {
        MEDIALIB_IMPORT_BYTES_IN_FLIGHT: '2048',
        MEDIALIB_IMPORT_WAIT_MS: '0',
        MEDIALIB_IMAGE_TIMEOUT_SECONDS: '3',
        MEDIALIB_PUBLIC_BASE_URL: 'https://media.example.com',
        MEDIALIB_PUBLIC_ASSET_ORIGIN: 'https://assets.example.net/',
      },
    )
    expect(config.limits).toMatchObject({
      importBytesInFlight: 2048,
      importWaitMs: 0,
      imageTimeoutSeconds: 3,
    })
    expect(assetUrlOf(config, '2026/12/03/a b.png')).toBe(
      'https://assets.example.net/api/v1/mediaLibrary/serve-image/2026/12/03/a%20b.png',
    )
    expect(assetUrlOf({ ...config, publicAssetOrigin: '' }, 'k.png')).toBe(
      'https://media.example.com/api/v1/mediaLibrary/serve-image/k.png',
    )
  })
})
