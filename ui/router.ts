import { useEffect, useState } from 'preact/hooks'

const CHANGE = 'medialib:navigate'

/** Client-side navigation: the URL is the state, so every view can be shared or bookmarked. */
export function navigate(url: string, { replace = false }: { replace?: boolean } = {}): void {
  if (replace) history.replaceState(null, '', url)
  else history.pushState(null, '', url)
  window.dispatchEvent(new Event(CHANGE))
}

/** The current location; re-renders on navigation and on back/forward. */
export function useLocation(): { path: string; search: string } {
  const [loc, setLoc] = useState(() => ({ path: location.pathname, search: location.search }))
  useEffect(() => {
    const update = () => setLoc({ path: location.pathname, search: location.search })
    window.addEventListener(CHANGE, update)
    window.addEventListener('popstate', update)
    return () => {
      window.removeEventListener(CHANGE, update)
      window.removeEventListener('popstate', update)
    }
  }, [])
  return loc
}

/** onClick for in-app links: plain clicks navigate in place; modified clicks open tabs as usual. */
export function linkClick(event: MouseEvent): void {
  const a = event.currentTarget as HTMLAnchorElement
  if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
  event.preventDefault()
  navigate(a.getAttribute('href') ?? '/')
}

/** Whether a key press belongs to a field, a dialog or the crop editor rather than to the page. */
export function inField(target: EventTarget | null): boolean {
  const el = target as Element | null
  return !!el?.closest?.('input, textarea, select, dialog, [contenteditable], .crop-stage')
}
