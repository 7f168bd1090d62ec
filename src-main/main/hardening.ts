/**
 * Applies the Electron security checklist to the whole app (docs/tutorial/security.md): no navigation,
 * no new windows, no <webview>, no permissions, and a CSP header. The decisions themselves live in the
 * pure ./security module; this file only wires them into Electron.
 */
import { app, session } from 'electron';

import { contentSecurityPolicy } from './security';

/** Call before the first window exists, so no web contents is ever created without these guards. */
export function hardenWebContents(): void {
  app.on('web-contents-created', (_event, contents) => {
    // The UI is a single page: any navigation is either a bug or an injected link.
    contents.on('will-navigate', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

/** Call after `app` is ready (sessions do not exist before). */
export function hardenSession(options: { dev: boolean }): void {
  const ses = session.defaultSession;

  // The app needs no camera, microphone, notifications, geolocation, … : refuse every request and check.
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);

  // Header for http(s) responses (the dev server); the renderer's <meta> carries the same policy for
  // file://, which this hook does not see.
  const csp = contentSecurityPolicy(options);
  ses.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
}
