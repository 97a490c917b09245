import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

/** axe-core's browser build, injected into a page (the test's Chromium bypasses the CSP for it). */
export const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

interface AxeGlobals {
  axe: {
    run(): Promise<{
      violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[]
      passes: { id: string }[]
    }>
  }
}

/** Runs inside the page: the serious and critical violations, and how many key rules really checked something. */
export async function seriousViolations() {
  const result = await (globalThis as unknown as AxeGlobals).axe.run()
  const passed = new Set(result.passes.map((p) => p.id))
  return {
    // Rules that did check something on the page and found it right: the check really ran.
    checkedContrastAndNames: ['color-contrast', 'label', 'landmark-one-main'].filter((id) => passed.has(id))
      .length,
    serious: result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
  }
}

/** axe-core over the page as it is now. */
export async function axeCheck(page: Page) {
  await page.addScriptTag({ content: AXE })
  return page.evaluate(seriousViolations)
}
