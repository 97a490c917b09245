import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/** Debian's chromium (`apt-get install chromium`); never a downloaded browser. */
export const CHROMIUM = process.env.MEDIALIB_CHROMIUM ?? '/usr/bin/chromium'

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
]

export const ARTIFACTS = path.resolve('test-artifacts')

export interface TestBrowser {
  context: BrowserContext
  page: Page
  /** Saves a full-page screenshot as test-artifacts/<name>.png and returns its path. */
  screenshot(name: string): Promise<string>
  close(): Promise<void>
}

/**
 * Chromium with a fresh profile (its own --user-data-dir) per run, removed on close. `bypassCSP` lets a
 * test inject a script of its own (axe-core) into the app's pages, whose CSP allows only their bundle.
 */
export async function launchBrowser(options: { bypassCSP?: boolean } = {}): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'medialib-chromium-'))
  mkdirSync(ARTIFACTS, { recursive: true })
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
    bypassCSP: options.bypassCSP ?? false,
  })
  context.setDefaultTimeout(10_000)
  const page = context.pages()[0] ?? (await context.newPage())
  return {
    context,
    page,
    async screenshot(name) {
      const file = path.join(ARTIFACTS, `${name}.png`)
      // Print media lays out every tile (on screen, tiles below the fold wait until scrolled near).
      await page.emulateMedia({ media: 'print' })
      await page.screenshot({ path: file, fullPage: true })
      await page.emulateMedia({ media: null })
      return file
    },
    async close() {
      await context.close()
      rmSync(userDataDir, { recursive: true, force: true })
    },
  }
}

/*
 * Functions that run inside the page (Playwright serialises them; the page's CSP forbids string
 * evaluation). The tests compile without the DOM library, so the page's globals are typed here loosely.
 */
interface PageImage {
  complete: boolean
  currentSrc: string
  naturalWidth: number
  getBoundingClientRect(): { top: number }
}
interface PageGlobals {
  document: { querySelectorAll(selector: string): ArrayLike<PageImage>; cookie: string }
  innerHeight: number
  performance: {
    getEntriesByName(name: string): { startTime: number }[]
    getEntriesByType(type: string): {
      name: string
      requestStart: number
      responseEnd: number
      domContentLoadedEventEnd?: number
    }[]
  }
}

/** Every image on the page has loaded (or failed). */
export function imagesComplete(): boolean {
  const g = globalThis as unknown as PageGlobals
  return Array.from(g.document.querySelectorAll('img')).every((img) => img.complete)
}

/**
 * At least `count` images match `selector`, and each has picked its source (from src or srcset)
 * and decoded it. Unlike imagesComplete, not true while the images are not in the page yet.
 */
export function imagesShown([selector, count]: [string, number]): boolean {
  const g = globalThis as unknown as PageGlobals
  const imgs = Array.from(g.document.querySelectorAll(selector))
  return (
    imgs.length >= count && imgs.every((img) => img.complete && img.currentSrc !== '' && img.naturalWidth > 0)
  )
}

/** Every thumbnail in the first screenful has loaded. */
export function visibleThumbnailsComplete(): boolean {
  const g = globalThis as unknown as PageGlobals
  return Array.from(g.document.querySelectorAll('img.thumb'))
    .filter((img) => img.getBoundingClientRect().top < g.innerHeight)
    .every((img) => img.complete)
}

export function documentCookie(): string {
  return (globalThis as unknown as PageGlobals).document.cookie
}

/** The first-page figures from the Performance API, in ms after the navigation started. */
export function firstPageFigures() {
  const g = globalThis as unknown as PageGlobals
  const mark = g.performance.getEntriesByName('medialib:first-page')[0]
  const nav = g.performance.getEntriesByType('navigation')[0]
  const resources = g.performance.getEntriesByType('resource')
  // The grid's count is a request of its own (`count=true`), made after the first page is asked for.
  const searches = resources.filter(
    (r) => r.name.includes('/mediaLibrary?') && !r.name.includes('count=true'),
  )
  const search = searches[0]
  const thumbs = resources.filter(
    (r) => r.name.includes('/thumbnail') || /\/mediaLibrary\/[^/?]+\/image\?/.test(r.name),
  )
  return {
    /** Requests of the first page and of the session: 1 each when the page's preloads were used. */
    searchRequests: searches.length,
    sessionRequests: resources.filter((r) => r.name.endsWith('/ui/session')).length,
    firstPageMs: mark ? mark.startTime : null,
    domContentLoadedMs: nav?.domContentLoadedEventEnd ?? null,
    searchRequestMs: search ? search.responseEnd - search.requestStart : null,
    searchDoneMs: search ? search.responseEnd : null,
    visibleThumbnailsDoneMs: thumbs.length ? Math.max(...thumbs.map((t) => t.responseEnd)) : null,
    tiles: g.document.querySelectorAll('.grid .tile').length,
  }
}
