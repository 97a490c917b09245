/* global console, process */
// Builds the browser UI: ui/app.tsx and its modules (TypeScript, with Preact) into one minified ES module,
// and the stylesheet, both under content-hashed names in dist/ui, plus dist/ui/index.html pointing at
// them. One request per kind instead of a dozen module fetches: a browser's first visit shows the
// library about half a second sooner (docs/ui.md), and the hashed files can be cached for good.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'rolldown'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const source = path.join(root, 'ui')
const target = path.join(root, 'dist', 'ui')
// Built next to the live directory and swapped in at the end, so that a server or test run using
// dist/ui meanwhile never finds it empty or half written.
const out = path.join(root, 'dist', `ui.building-${process.pid}`)

/** Modules of the pages loaded later (ui/app.tsx's dynamic imports) and what only they use. */
const LATER =
  /[\\/](?:ui[\\/](?:entry|entry-edit|entry-lifecycle|entry-nav|entry-sections|entry-usage-log|metadata-form|crop-editor|crop-model|form-model|imports|import-job-view|sources|trash|api-client)\.tsx?|node_modules[\\/](?:openapi-fetch|tus-js-client|js-base64|proper-lockfile|url-parse|querystringify|requires-port)[\\/])/

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })

const bundle = await build({
  input: path.join(source, 'app.tsx'),
  platform: 'browser',
  // TypeScript and JSX as ui/tsconfig.json says (Preact's automatic runtime); imports name modules
  // `.js`, as in src/, and find the `.ts`/`.tsx` source.
  tsconfig: path.join(source, 'tsconfig.json'),
  resolve: { extensionAlias: { '.js': ['.ts', '.tsx', '.js'] } },
  logLevel: 'warn',
  output: {
    // The first screen (the library) in two files: the entry and one chunk of what it shares with the
    // pages loaded later (Preact, the API helpers), preloaded beside it. The pages below and what only
    // they use (the typed client, tus-js-client) load when first opened (docs/ui.md, The first screen).
    // app.tsx (with its top-level await) stays the entry: the chunks loaded later import 'shared' only.
    codeSplitting: {
      groups: [{ name: 'shared', test: (id) => !LATER.test(id) && !/[\\/]ui[\\/]app\.tsx$/.test(id) }],
    },
    dir: out,
    format: 'esm',
    minify: true,
    sourcemap: true,
    entryFileNames: 'app-[hash].js',
  },
})
const script = bundle.output.find((o) => o.type === 'chunk' && o.isEntry)
if (!script) throw new Error('rolldown produced no entry chunk')

const css = readFileSync(path.join(source, 'style.css'))
const cssName = `style-${createHash('sha256').update(css).digest('base64url').slice(0, 10)}.css`
writeFileSync(path.join(out, cssName), css)

const page = readFileSync(path.join(source, 'index.html'), 'utf8')
for (const placeholder of ['/app.js', '/style.css']) {
  if (!page.includes(`"${placeholder}"`)) throw new Error(`ui/index.html does not refer to ${placeholder}`)
}
// The chunks the entry imports statically (code shared with the pages loaded later, e.g. Preact) are
// preloaded by the page itself, so that they load beside the entry instead of after it.
const preloads = script.imports.map((name) => `\n    <link rel="modulepreload" href="/${name}" />`).join('')
writeFileSync(
  path.join(out, 'index.html'),
  page
    .replace('"/app.js"></script>', `"/${script.fileName}"></script>${preloads}`)
    .replace('"/style.css"', `"/${cssName}"`),
)
const old = path.join(root, 'dist', `ui.old-${process.pid}`)
try {
  renameSync(target, old)
} catch (err) {
  if (err.code !== 'ENOENT') throw err
}
renameSync(out, target)
rmSync(old, { recursive: true, force: true })
console.log(`ui: dist/ui/${script.fileName} (${script.code.length} bytes), dist/ui/${cssName}`)
