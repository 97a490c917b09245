import type { Readable } from 'node:stream'
import type { SourceReader } from './source-reader.js'

/** XMP sidecars are read beside the files they describe, never made entries themselves. */
export const isSidecar = (relative: string): boolean => /\.xmp$/i.test(relative)

/** Bigger sidecars are not read (an XMP packet is a few KiB). */
const MAX_SIDECAR_BYTES = 1024 * 1024

/** The sidecar paths of an object, in the order tried: `photo.jpg.xmp`, then `photo.xmp`. */
export function sidecarPaths(relative: string): string[] {
  const paths = [`${relative}.xmp`]
  const slash = relative.lastIndexOf('/')
  const dot = relative.lastIndexOf('.')
  if (dot > slash + 1) paths.push(`${relative.slice(0, dot)}.xmp`)
  return paths
}

const readBounded = async (body: Readable): Promise<Buffer | undefined> => {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += (chunk as Buffer).length
    if (size > MAX_SIDECAR_BYTES) {
      body.destroy()
      return undefined
    }
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

/**
 * The tags of an object's XMP sidecar, flat as exifr's merged output of embedded tags is (`title`,
 * `Headline`, `creator`), each also under its namespace prefix (`dc:title`); `{}` when there is none or it
 * cannot be parsed.
 */
export async function readSidecarTags(
  reader: SourceReader,
  relative: string,
): Promise<Record<string, unknown>> {
  for (const candidate of sidecarPaths(relative)) {
    const body = await reader.get(candidate).catch(() => undefined)
    if (!body) continue
    const bytes = await readBounded(body)
    if (!bytes) return {}
    try {
      // Node.js loads exifr's CommonJS build (everything on `default`); bundlers and vitest its ES module
      // build, whose `default` lacks `sidecar` (a named export there).
      type Sidecar = (input: Buffer, options: object, type: string) => Promise<unknown>
      const exifr = (await import('exifr')) as unknown as {
        sidecar?: Sidecar
        default?: { sidecar?: Sidecar }
      }
      const sidecar = exifr.sidecar ?? exifr.default?.sidecar
      if (!sidecar) return {}
      const parsed: unknown = await sidecar(bytes, {}, 'xmp')
      return flatten(parsed)
    } catch {
      return {}
    }
  }
  return {}
}

function flatten(parsed: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (parsed === null || typeof parsed !== 'object') return out
  for (const [ns, group] of Object.entries(parsed as Record<string, unknown>)) {
    if (ns === 'xmlns' || group === null || typeof group !== 'object' || Array.isArray(group)) continue
    for (const [name, value] of Object.entries(group as Record<string, unknown>)) {
      out[`${ns}:${name}`] = value
      if (!(name in out)) out[name] = value
    }
  }
  return out
}
