/**
 * The benchmarks' command-line options: `--name value` pairs and bare `--flag`s after the script's name.
 */
export const args = process.argv.slice(2)

/** The value after `--name`, or the fallback when the option or its value is missing. */
export function option(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback
}

/** A comma-separated option as its non-empty items. */
export const listOption = (name: string, fallback: string): string[] =>
  option(name, fallback).split(',').filter(Boolean)

/** Whether the bare `--name` was given. */
export const flag = (name: string): boolean => args.includes(`--${name}`)
