import { launchBrowser, type TestBrowser } from './browser.js'

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

/** A browser signed in with `token` that records the URL of every PATCH it sends (into `patches`). */
export async function signedInRecordingPatches(baseUrl: string, token: string, patches: string[]) {
  const b = await launchBrowser()
  b.page.on('request', (r) => {
    if (r.method() === 'PATCH') patches.push(r.url())
  })
  await signIn(b, baseUrl, token)
  return b
}
