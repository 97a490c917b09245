/* global console, process */
// Writes the OpenAPI document the server serves at /api/openapi.json, built by buildApp from the route
// schemas without listening, over a throw-away SQLite database. Usage: node scripts/openapi.mjs <out.json>
// (after npm run build). `npm run lint:openapi` lints it; `npm run build` generates types from it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { buildApp } from '../dist/src/app.js'
import { DEFAULT_CONFIG } from '../dist/src/config.js'
import { createDeps } from '../dist/src/deps.js'

const out = process.argv[2]
if (!out) {
  console.error('usage: node scripts/openapi.mjs <out.json>')
  process.exit(2)
}
const dataDir = mkdtempSync(path.join(tmpdir(), 'medialib-openapi-'))
try {
  const deps = await createDeps({ ...DEFAULT_CONFIG, dataDir, logLevel: 'silent' }, { warn: () => undefined })
  const app = await buildApp(deps)
  await app.ready()
  const response = await app.inject({ method: 'GET', url: '/api/openapi.json' })
  if (response.statusCode !== 200) throw new Error(`/api/openapi.json answered ${response.statusCode}`)
  writeFileSync(out, JSON.stringify(response.json(), null, 2) + '\n')
  await app.close()
  await deps.close()
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
