import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

function newestIn(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestIn(full) : statSync(full).mtimeMs)
  }
  return newest
}

/**
 * The server serves the built UI (dist/ui), not ui/. `npm test` builds first; a run started another way
 * (`npx vitest run test/browser/…` after editing ui/) rebuilds it here, so browser tests never test an
 * old bundle.
 */
export default function setup(): void {
  let built = 0
  try {
    built = statSync(path.join(root, 'dist', 'ui', 'index.html')).mtimeMs
  } catch {
    // not built yet
  }
  if (built >= newestIn(path.join(root, 'ui'))) return
  execFileSync(process.execPath, [path.join(root, 'scripts', 'build-ui.mjs')], { stdio: 'inherit' })
}
