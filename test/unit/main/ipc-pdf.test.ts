/**
 * Main's IPC layer with Electron replaced by fakes (ipcMain collects the handlers, webContents lists fake
 * pages): `runs:exportPdf` prints the calling page through its `printToPDF`, only for the app's own page
 * and a run that exists; events reach only the app's own pages. The core behind it is real (simulator,
 * in-memory SQLite).
 */
import { pathToFileURL } from 'node:url';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const fake = vi.hoisted(() => ({
  handlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
  pages: [] as Array<{ url: string; sent: Array<[string, unknown]> }>,
}));

vi.mock('electron', () => {
  const ipcMain = {
    handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) => fake.handlers.set(channel, fn),
    removeHandler: (channel: string) => fake.handlers.delete(channel),
  };
  const webContents = {
    getAllWebContents: () =>
      fake.pages.map((p) => ({ getURL: () => p.url, isDestroyed: () => false, send: (channel: string, payload: unknown) => p.sent.push([channel, payload]) })),
  };
  const app = { getName: () => 'Local Flex Controller', getVersion: () => '0.0.0-test' };
  return { ipcMain, webContents, app, default: { ipcMain, webContents, app } };
});

const { registerIpcHandlers } = await import('../../../src-main/main/ipc');
const { LfcCore } = await import('../../../src-main/core/lfc-core');
const { resourcesDir } = await import('../../../src-main/node/paths');
const { openHistoryStore } = await import('../../../src-main/storage/history-store');

const indexFileUrl = pathToFileURL('/opt/lfc/out/renderer/index.html').href;
const origin = { indexFileUrl, devServerUrl: null };
const wall = { t: 1_000_000, now: () => wall.t, setInterval: () => 0, clearInterval: () => undefined };
const history = openHistoryStore({ file: ':memory:' });
const core = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: '/tmp', history, appVersion: '0.0.0-test', wall, autoRun: false, loadSolver: null });
let unregister: () => void;
let runId: string;

function pageEvent(url: string, printToPDF: () => Promise<Buffer>) {
  return { senderFrame: { parent: null, url }, sender: { isDestroyed: () => false, printToPDF: vi.fn(printToPDF) } };
}
const invoke = (channel: string, event: unknown, ...args: unknown[]) => Promise.resolve(fake.handlers.get(channel)!(event, ...args));
const pdfBytes = () => Promise.resolve(Buffer.from('%PDF-1.7\n% a report\n%%EOF\n'));

beforeAll(async () => {
  unregister = registerIpcHandlers({ origin, resourcesRootPath: '/opt/lfc', core, startupProblems: () => ['theme: invalid (default used)'] });
  await core.startSimulator({ speed: 60 });
  core.sendTrigger({ useCase: 2, targetKw: -100, durationS: 1800 });
  for (let i = 0; i < 5; i++) {
    wall.t += 1000;
    core.pump();
  }
  core.stop();
  runId = core.listRuns()[0]!.runId;
});

afterAll(() => {
  unregister?.();
  core.close();
  history.close();
});

describe('runs:exportPdf in the desktop app', () => {
  it('prints the calling page to a PDF named after the run', async () => {
    const event = pageEvent(`${indexFileUrl}#/runs`, pdfBytes);
    const r = (await invoke('runs:exportPdf', event, runId)) as { ok: boolean; value: { fileName: string; mimeType: string; base64: string } };
    expect(r.ok).toBe(true);
    expect(r.value.mimeType).toBe('application/pdf');
    expect(r.value.fileName).toBe(`lfc-report-${runId.replace('/', '-')}.pdf`);
    expect(Buffer.from(r.value.base64, 'base64').toString('latin1')).toMatch(/^%PDF-1\.7/);
    expect(event.sender.printToPDF).toHaveBeenCalledExactlyOnceWith(expect.objectContaining({ pageSize: 'A4', printBackground: true }));
  });

  it('refuses an unknown run, a foreign page, and bytes that are not a PDF', async () => {
    const unknown = pageEvent(indexFileUrl, pdfBytes);
    expect(await invoke('runs:exportPdf', unknown, 'no-such-run')).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    expect(unknown.sender.printToPDF).not.toHaveBeenCalled();
    const foreign = pageEvent('https://evil.example/', pdfBytes);
    expect(await invoke('runs:exportPdf', foreign, runId)).toMatchObject({ ok: false, error: { code: 'FORBIDDEN_SENDER' } });
    expect(foreign.sender.printToPDF).not.toHaveBeenCalled();
    const garbage = pageEvent(indexFileUrl, () => Promise.resolve(Buffer.from('<html>')));
    const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(await invoke('runs:exportPdf', garbage, runId)).toMatchObject({ ok: false, error: { code: 'INTERNAL', message: expect.stringContaining('not a PDF') } });
    spy.mockRestore();
  });

  it('answers the other channels through the core, with the host’s start-up problems', async () => {
    expect(await invoke('app:getStartupProblems', pageEvent(indexFileUrl, pdfBytes))).toEqual({ ok: true, value: ['theme: invalid (default used)'] });
    expect(await invoke('app:getInfo', pageEvent(indexFileUrl, pdfBytes))).toMatchObject({ ok: true, value: { name: 'Local Flex Controller', version: '0.0.0-test' } });
  });

  it('pushes the core’s events to the app’s own pages only', () => {
    fake.pages.push({ url: indexFileUrl, sent: [] }, { url: 'https://evil.example/', sent: [] });
    core.publishLive();
    expect(fake.pages[0]!.sent.map(([c]) => c)).toEqual(['core:onLive']);
    expect(fake.pages[1]!.sent).toEqual([]);
  });
});
