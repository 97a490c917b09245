/**
 * Prints the top frames of a V8 .cpuprofile (from `node --cpu-prof`) by self time and by total time.
 * Usage: node dist/bench/cpuprofile-top.js FILE [N]
 */
import { readFileSync } from 'node:fs'

interface Node {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount: number
  children?: number[]
}

const [file, limit = '30'] = process.argv.slice(2)
if (!file) throw new Error('usage: cpuprofile-top FILE [N]')
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] }
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
const total = profile.samples.length
const label = (n: Node) => {
  const url = n.callFrame.url.replace(/^.*\/(node_modules|dist)\//, '$1/')
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`
}
const self = new Map<string, number>()
const inclusive = new Map<string, number>()
for (const n of profile.nodes) {
  const key = label(n)
  self.set(key, (self.get(key) ?? 0) + n.hitCount)
  // Inclusive: every distinct frame on the stack of each sample gets the sample once.
  const seen = new Set<string>()
  for (let id: number | undefined = n.id; id !== undefined; id = parent.get(id)) {
    const k = label(byId.get(id)!)
    if (seen.has(k)) continue
    seen.add(k)
    inclusive.set(k, (inclusive.get(k) ?? 0) + n.hitCount)
  }
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (of ${total} samples)`)
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(limit))) {
    console.log(`${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`)
  }
}
show('self time', self)
show('total time', inclusive)
