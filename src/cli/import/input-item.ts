/** One entry read from the input, with where it came from. */
export interface InputItem {
  /** Position among the entries, from 0: what the checkpoint records. */
  index: number
  /** Line of the input the entry starts on, from 1 (for CSV, the line its record ends on). */
  line: number
  /** The parsed entry, unless it could not be read. */
  entry?: unknown
  /** Why the entry could not be read (bad JSON, bad CSV value). */
  parseError?: string
}
