import type { TestBrowser } from './browser.js'

/** Signs the browser in with a token on the login page (a fresh session: cookies cleared first). */
export async function signIn(b: TestBrowser, baseUrl: string, token: string) {
  await b.context.clearCookies()
  await b.page.goto(`${baseUrl}/`)
  await b.page.getByLabel('Project token').fill(token)
  await b.page.getByRole('button', { name: 'Sign in' }).click()
  await b.page.getByRole('heading', { name: 'Library' }).waitFor()
}

/** The page's scroll width in CSS pixels (runs in the page). */
export function pageWidth(): number {
  return (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } }).document
    .documentElement.scrollWidth
}
