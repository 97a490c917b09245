/**
 * One entry read from the input, with where it came from. It keeps the entry's JSON text, not the parsed
 * object: a short string survives the round trip to the server far more cheaply than an object graph,
 * which keeps the client's memory low and flat.
 */
export interface InputItem {
  /** Position among the entries, from 0: what the checkpoint records. */
  index: number
  /** Line of the input the entry starts on, from 1 (for CSV, the line its record ends on). */
  line: number
  /** How the report names the entry: `id: …`, `externalId: system/…` or `line: …`. */
  correlation: string
  /** The entry as JSON text, sent as it is; absent when it could not be read. */
  text?: string
  /** Why the entry could not be read (bad JSON). */
  parseError?: string
}

export function correlationOf(entry: unknown, line: number): string {
  if (entry !== null && typeof entry === 'object') {
    const { id, systemName, externalId } = entry as Record<string, unknown>
    if (typeof id === 'string') return `id: ${id}`
    if (typeof externalId === 'string') return `externalId: ${String(systemName)}/${externalId}`
  }
  return `line: ${line}`
}

/** An item from JSON text: parsed once to check it and to name it, then only the text is kept. */
export function itemFromText(index: number, line: number, text: string): InputItem {
  try {
    const entry: unknown = JSON.parse(text)
    return { index, line, correlation: correlationOf(entry, line), text }
  } catch (err) {
    return { index, line, correlation: `line: ${line}`, parseError: (err as Error).message }
  }
}

export function itemFromEntry(index: number, line: number, entry: unknown): InputItem {
  return { index, line, correlation: correlationOf(entry, line), text: JSON.stringify(entry) }
}

/** The parsed entry (parsed again when needed: comparisons and dry runs). */
export function entryOf(item: InputItem): unknown {
  return item.text === undefined ? undefined : JSON.parse(item.text)
}
