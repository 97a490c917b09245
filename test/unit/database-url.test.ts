import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../src/db/database.js'

describe('openDatabase', () => {
  it('never shows a PostgreSQL password in its description', async () => {
    const database = openDatabase({ url: 'postgres://medialib:s3cret@127.0.0.1:1/lib', dataDir: '/tmp' })
    try {
      expect(database.caps.name).toBe('postgres')
      expect(database.description).toBe('postgres://medialib:***@127.0.0.1:1/lib')
    } finally {
      await database.close()
    }
  })

  it('refuses URLs of other databases, without echoing secrets', () => {
    expect(() => openDatabase({ url: 'mysql://root:s3cret@127.0.0.1/x', dataDir: '/tmp' })).toThrow(
      'Unsupported database URL (expected postgres://… or sqlite:PATH): mysql://root:***@127.0.0.1/x',
    )
  })
})
