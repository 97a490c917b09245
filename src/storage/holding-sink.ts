import { open, type FileHandle } from 'node:fs/promises'
import { Writable } from 'node:stream'

/** Holds a file's bytes in memory up to `holdBytes`; past that, writes them, and all that follows, to `file`. */
export class HoldingSink extends Writable {
  private held: Buffer[] | undefined = []
  private size = 0
  private handle: FileHandle | undefined

  constructor(
    private readonly file: string,
    private readonly holdBytes: number,
  ) {
    super()
  }

  /** The bytes, when they were all held. */
  whole(): Buffer | undefined {
    return this.held && (this.held.length === 1 ? this.held[0] : Buffer.concat(this.held, this.size))
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.take(chunk).then(() => done(), done)
  }

  private async take(chunk: Buffer): Promise<void> {
    this.size += chunk.length
    if (this.held && this.size <= this.holdBytes) {
      this.held.push(chunk)
      return
    }
    if (!this.handle) {
      this.handle = await open(this.file, 'w')
      for (const b of this.held ?? []) await writeAll(this.handle, b)
      this.held = undefined
    }
    await writeAll(this.handle, chunk)
  }

  override _final(done: (err?: Error | null) => void): void {
    this.closeFile().then(() => done(), done)
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.closeFile().then(
      () => done(err),
      () => done(err),
    )
  }

  private async closeFile(): Promise<void> {
    const handle = this.handle
    this.handle = undefined
    await handle?.close()
  }
}

async function writeAll(handle: FileHandle, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length;) at += (await handle.write(bytes, at, bytes.length - at)).bytesWritten
}
