/** The file logger: one line per message, rotated by size, and a console tee that can be undone. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FileLogger, teeConsole } from '../../../src-main/main/logger';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-logger-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('FileLogger', () => {
  it('writes time-stamped lines and keeps a multi-line message on one entry', () => {
    const log = new FileLogger(join(dir, 'logs', 'lfc.log'), { now: () => Date.UTC(2026, 5, 21, 8) });
    log.info('started', { port: 8765 });
    log.error(new Error('boom'));
    const text = readFileSync(log.file, 'utf8');
    expect(text.split('\n')[0]).toBe("2026-06-21T08:00:00.000Z INFO  started { port: 8765 }");
    expect(text).toMatch(/\n2026-06-21T08:00:00\.000Z ERROR Error: boom\n {4,}at /);
  });

  it('rotates by size and keeps only the newest files', () => {
    const file = join(dir, 'lfc.log');
    const log = new FileLogger(file, { maxBytes: 200, keep: 2, now: () => 0 });
    for (let i = 0; i < 30; i++) log.info(`message ${String(i).padStart(2, '0')} ${'x'.repeat(40)}`);
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    for (const f of [file, `${file}.1`, `${file}.2`]) expect(readFileSync(f).length).toBeLessThanOrEqual(200);
    expect(readFileSync(file, 'utf8')).toContain('message 29');
    expect(readFileSync(`${file}.2`, 'utf8')).not.toContain('message 00');
    // A new logger on the same file continues with its size.
    const again = new FileLogger(file, { maxBytes: 200, keep: 2 });
    again.info('x'.repeat(150));
    expect(readFileSync(file, 'utf8')).not.toContain('message 29');
  });

  it('copies console output into the log until restored', () => {
    const log = new FileLogger(join(dir, 'lfc.log'), { now: () => 0 });
    const seen: unknown[][] = [];
    const fakeConsole = { log: (...a: unknown[]) => seen.push(a), info: (...a: unknown[]) => seen.push(a), warn: (...a: unknown[]) => seen.push(a), error: (...a: unknown[]) => seen.push(a) };
    const restore = teeConsole(log, fakeConsole);
    fakeConsole.warn('[ipc] refused', 'x');
    restore();
    fakeConsole.error('after restore');
    expect(seen).toEqual([['[ipc] refused', 'x'], ['after restore']]);
    const text = readFileSync(log.file, 'utf8');
    expect(text).toContain('WARN  [ipc] refused x');
    expect(text).not.toContain('after restore');
  });
});
