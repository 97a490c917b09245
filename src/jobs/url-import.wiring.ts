// The URL-import wiring moved into the composition root (src/deps.ts); these two helpers moved to
// src/storage/. Re-exported here for the tests that still import them from this path.
export { assetUrlOf } from '../storage/asset-url.js'
export { createStorage } from '../storage/storage-config.js'
