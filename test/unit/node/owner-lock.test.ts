import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { acquireOwnerLock, OwnerLockError } from '../../../src-main/node/owner-lock';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited. */
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('acquireOwnerLock', () => {
  it('takes a free lock, names this process in it, and removes it on release', () => {
    const file = join(dir, 'h.lock');
    const lock = acquireOwnerLock(file, Date.UTC(2026, 11, 7));
    expect(lock.stale).toBeNull();
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ pid: process.pid, host: hostname(), startedAt: '2026-12-07T00:00:00.000Z' });
    lock.release();
    expect(existsSync(file)).toBe(false);
  });

  it('refuses a lock a live process holds, saying which', () => {
    const file = join(dir, 'h.lock');
    const lock = acquireOwnerLock(file);
    try {
      expect(() => acquireOwnerLock(file)).toThrow(OwnerLockError);
      expect(() => acquireOwnerLock(file)).toThrow(new RegExp(`in use by process ${process.pid} on .*stop it, or give this one another data folder`));
    } finally {
      lock.release();
    }
  });

  it('takes over the lock of a process that is gone, and says whose it was', () => {
    const file = join(dir, 'h.lock');
    const pid = deadPid();
    writeFileSync(file, JSON.stringify({ pid, host: hostname(), startedAt: '2026-12-06T10:00:00.000Z' }));
    const lock = acquireOwnerLock(file);
    expect(lock.stale).toEqual({ pid, host: hostname(), startedAt: '2026-12-06T10:00:00.000Z' });
    expect(JSON.parse(readFileSync(file, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('never takes a lock it cannot read or one of another host (a shared folder)', () => {
    const file = join(dir, 'h.lock');
    writeFileSync(file, 'garbage');
    expect(() => acquireOwnerLock(file)).toThrow(/unreadable lock file/);
    writeFileSync(file, JSON.stringify({ pid: deadPid(), host: 'another-host', startedAt: '2026-12-06T10:00:00.000Z' }));
    expect(() => acquireOwnerLock(file)).toThrow(/in use by process \d+ on another-host/);
  });

  it('release never removes a lock a later owner took over', () => {
    const file = join(dir, 'h.lock');
    const lock = acquireOwnerLock(file);
    writeFileSync(file, JSON.stringify({ pid: process.pid + 1, host: hostname(), startedAt: 'x' }));
    lock.release();
    expect(existsSync(file)).toBe(true);
  });
});
