import { createHash } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { rm } from 'node:fs/promises'
import type { Readable } from 'node:stream'

/** Objects up to this size are held in memory while a scan reads them: no temporary file. */
export const IN_MEMORY_BYTES = 2 * 1024 * 1024

/** An object read by a scan, hashed: its bytes (small), or the temporary file they were spilled to. */
export type ObjectBytes = { size: number; sha256: string } & (
  { bytes: Buffer; file?: undefined } | { file: string; bytes?: undefined }
)

/** Bytes read whole (a small object), hashed. */
export const bytesOf = (bytes: Buffer): ObjectBytes => ({
  size: bytes.length,
  sha256: createHash('sha256').update(bytes).digest('hex'),
  bytes,
})

/**
 * Reads a body, hashing it: in memory while it stays within `max` bytes, else written to `tmp` (the caller
 * removes it) from the byte that passed the limit on.
 */
export async function readObject(
  body: Readable,
  tmp: string,
  max = IN_MEMORY_BYTES,
  beforeSpill: () => Promise<unknown> = async () => undefined,
): Promise<ObjectBytes> {
  const hash = createHash('sha256')
  const chunks: Buffer[] = []
  let size = 0
  let spill: ReturnType<typeof createWriteStream> | undefined
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      hash.update(chunk)
      size += chunk.length
      if (!spill && size <= max) {
        chunks.push(chunk)
        continue
      }
      if (!spill) {
        await beforeSpill()
        spill = createWriteStream(tmp)
        for (const held of chunks.splice(0)) spill.write(held)
      }
      if (!spill.write(chunk)) await once(spill, 'drain')
    }
    if (!spill) return { size, sha256: hash.digest('hex'), bytes: Buffer.concat(chunks, size) }
    spill.end()
    await once(spill, 'finish')
    return { size, sha256: hash.digest('hex'), file: tmp }
  } catch (err) {
    if (spill) {
      spill.destroy()
      await rm(tmp, { force: true })
    }
    throw err
  }
}
