import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'

export const CLI = path.resolve('dist/src/cli/main.js')

export interface ServeProcess {
  child: ChildProcess
  baseUrl: string
  /** Everything the process printed on stdout and stderr so far. */
  output(): string
  /** The token printed at first start, if one was. */
  firstToken?: string
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Environment for child processes: no inherited MEDIALIB_* settings, so tests say everything explicitly. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('MEDIALIB_')) env[k] = v
  return { ...env, ...extra }
}

/** Starts `medialib serve` as a real process on a random port of 127.0.0.1 and waits until it listens. */
export async function startServeProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  // Decoded as streams: a character split across two chunks must not become two replacement characters.
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stdout?.on('data', (d: string) => (output += d))
  child.stderr?.on('data', (d: string) => (output += d))
  const exited = once(child, 'exit')
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in time:\n${output}`)), 60_000)
    const check = () => {
      const match = /medialib listening on (http:\/\/[\d.]+:\d+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', check)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`serve exited with ${code}:\n${output}`))
    })
  })
  // The banner is written right after the listening line.
  await new Promise((r) => setTimeout(r, 100))
  const firstToken = /^\s+(ml_[A-Za-z0-9_-]+)\s*$/m.exec(output)?.[1]
  return {
    child,
    baseUrl,
    output: () => output,
    ...(firstToken ? { firstToken } : {}),
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill(signal)
      const [code] = await exited
      return code as number | null
    },
  }
}

/** Runs a CLI command to completion. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: cleanEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8')
  child.stderr.setEncoding('utf8')
  child.stdout.on('data', (d: string) => (stdout += d))
  child.stderr.on('data', (d: string) => (stderr += d))
  // 'close', not 'exit': the exit can come before the last of stdout has been read.
  const [code] = await once(child, 'close')
  return { code: code as number | null, stdout, stderr }
}
