/**
 * Which frames may call IPC: only the app's own page. Table of URL → allowed, for a built app and for
 * `electron-vite dev`.
 */
import { pathToFileURL } from 'node:url';

import { describe, expect, it } from 'vitest';

import { isAllowedSenderUrl } from '../../../src-main/main/security';
import type { RendererOrigin } from '../../../src-main/main/security';

const indexFileUrl = pathToFileURL('/opt/lfc/resources/app/out/renderer/index.html').href;
const built: RendererOrigin = { indexFileUrl, devServerUrl: null };
const dev: RendererOrigin = { indexFileUrl, devServerUrl: 'http://localhost:5173' };

describe('isAllowedSenderUrl', () => {
  it.each<[string, string, boolean]>([
    ['the app’s own index.html', indexFileUrl, true],
    ['the app’s own index.html with a hash route', `${indexFileUrl}#/scenarios`, true],
    ['the app’s own index.html with a query', `${indexFileUrl}?tab=kpi`, true],
    ['the dev server (not in a built app)', 'http://localhost:5173', false],
    ['the dev server page (not in a built app)', 'http://localhost:5173/index.html', false],
    ['a foreign https site', 'https://evil.example', false],
    ['a foreign page on the same path', 'https://evil.example/opt/lfc/resources/app/out/renderer/index.html', false],
    ['another local file', 'file:///etc/passwd', false],
    ['another file next to index.html', pathToFileURL('/opt/lfc/resources/app/out/renderer/other.html').href, false],
    ['a path that only starts like index.html', `${indexFileUrl}.evil.html`, false],
    ['a dot-dot path escaping and coming back', 'file:///opt/lfc/resources/app/out/renderer/../renderer/index.html', true],
    ['the same path on a remote (UNC) host', 'file://evil.example/opt/lfc/resources/app/out/renderer/index.html', false],
    ['about:blank', 'about:blank', false],
    ['devtools', 'devtools://devtools/bundled/inspector.html', false],
    ['a data: URL', 'data:text/html,<script>alert(1)</script>', false],
    ['an empty string (destroyed frame)', '', false],
    ['garbage', 'not a url', false],
  ])('built app: %s → %s', (_label, url, allowed) => {
    expect(isAllowedSenderUrl(url, built)).toBe(allowed);
  });

  it.each<[string, string, boolean]>([
    ['the dev server root', 'http://localhost:5173', true],
    ['a dev server page with a hash route', 'http://localhost:5173/#/scenarios', true],
    ['the app’s own index.html still', indexFileUrl, true],
    ['another port', 'http://localhost:5174', false],
    ['another host name for the same machine', 'http://127.0.0.1:5173', false],
    ['https instead of http', 'https://localhost:5173', false],
    ['a look-alike host', 'http://localhost:5173.evil.example', false],
    ['user info trick', 'http://localhost:5173@evil.example/', false],
    ['a foreign https site', 'https://evil.example', false],
    ['another local file', 'file:///etc/passwd', false],
    ['a WebSocket URL', 'ws://localhost:5173', false],
  ])('dev: %s → %s', (_label, url, allowed) => {
    expect(isAllowedSenderUrl(url, dev)).toBe(allowed);
  });

  it('refuses everything when the configured index URL is not a file URL', () => {
    expect(isAllowedSenderUrl('file:///etc/passwd', { indexFileUrl: 'garbage', devServerUrl: null })).toBe(false);
  });
});
