/**
 * Pure security rules of the shell: which page may call IPC, and the Content-Security-Policy.
 *
 * Kept free of Electron and Node I/O on purpose: these are the decisions worth unit-testing, and
 * electron.vite.config.ts imports the CSP from here to check the renderer's <meta> copy at build time.
 */

/** Where the app's own renderer is served from. */
export interface RendererOrigin {
  /** `file://` URL of the built renderer's index.html (out/renderer/index.html). */
  indexFileUrl: string;
  /** The Vite dev server's URL in `electron-vite dev`; null in a built or packaged app. */
  devServerUrl: string | null;
}

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * May a frame at `senderUrl` use the IPC API? Only the app's own page:
 * - the built index.html, compared by exact file path (query and hash ignored, so in-page routing works);
 * - in development only, any page of the dev server's exact origin (scheme, host and port).
 * Anything else (other files, other hosts, about:blank, devtools, unparsable strings) is refused.
 */
export function isAllowedSenderUrl(senderUrl: string, origin: RendererOrigin): boolean {
  const sender = parseUrl(senderUrl);
  if (sender === null) return false;

  if (sender.protocol === 'file:') {
    const index = parseUrl(origin.indexFileUrl);
    // `host` must be empty too: file://server/share/... is a UNC path on Windows, i.e. another machine.
    return index !== null && index.protocol === 'file:' && sender.host === index.host && sender.pathname === index.pathname;
  }

  if (origin.devServerUrl === null) return false;
  const devServer = parseUrl(origin.devServerUrl);
  return devServer !== null && (sender.protocol === 'http:' || sender.protocol === 'https:') && sender.origin === devServer.origin;
}

/**
 * The Content-Security-Policy of the renderer, sent as a response header by main and repeated in
 * src-renderer/index.html (a header does not reach file:// pages, the meta tag does).
 *
 * Production allows no inline script or style at all: Vite emits CSS as a file, and Vue's `:style`
 * bindings go through the CSSOM, which CSP does not restrict. The dev server, however, injects each
 * SFC's CSS as a <style> element, so development alone needs style-src 'unsafe-inline'.
 * `connect-src 'self'` also covers the dev server's HMR WebSocket (same host and port).
 * frame-ancestors is left out because a <meta> CSP ignores it; the app opens no frames anyway.
 */
export function contentSecurityPolicy(options: { dev: boolean }): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    options.dev ? "style-src 'self' 'unsafe-inline'" : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}
