/**
 * One owner per history: a lock file beside the history (`<history>.lock`, created with O_EXCL) naming the
 * process that holds it (pid, host, start time). A second process on the same data folder (the app and
 * `npm run serve --data-dir` on its folder, `serve --site` twice) is refused with who holds it, instead of
 * two EMS writing one history and closing each other's runs. A lock whose process is gone (killed, crashed,
 * powered off) is stale: it is taken over, and the taker knows that the previous owner died (`stale`), which
 * is when runs it left in force may be closed as interrupted.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname, uptime } from 'node:os';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export class OwnerLockError extends Error {
  constructor(
    readonly lockFile: string,
    readonly owner: LockOwner | null,
  ) {
    super(
      owner
        ? `${lockFile}: the data folder is in use by process ${owner.pid} on ${owner.host} (started ${owner.startedAt}); stop it, or give this one another data folder (--data-dir)`
        : `${lockFile}: the data folder is locked by an unreadable lock file; if no Local Flex Controller runs on it, delete the file`,
    );
    this.name = 'OwnerLockError';
  }
}

export interface OwnerLock {
  file: string;
  /** The previous owner, if its process was gone and this lock was taken over from it. */
  stale: LockOwner | null;
  release(): void;
}

/** Whether a process with this pid exists on this machine (EPERM: it does, under another user). Shared with the record's writer lock. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' && typeof o.startedAt === 'string' ? (o as LockOwner) : null;
  } catch {
    return null;
  }
}

export function acquireOwnerLock(file: string, nowMs = Date.now()): OwnerLock {
  let stale: LockOwner | null = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, 'wx', 0o644);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(file);
      // A lock from before this machine's last boot is stale whatever process has its pid now.
      const bootedMs = nowMs - uptime() * 1000;
      const beforeBoot = owner !== null && Date.parse(owner.startedAt) < bootedMs - 60_000;
      // Another host's lock (a shared folder) cannot be checked from here: it counts as held.
      if (!owner || owner.host !== hostname() || owner.pid === process.pid || (!beforeBoot && processAlive(owner.pid))) throw new OwnerLockError(file, owner);
      stale = owner;
      try {
        unlinkSync(file);
      } catch (e) {
        // Another process took it over first: try again (and find its lock held).
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      continue;
    }
    const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date(nowMs).toISOString() };
    writeSync(fd, JSON.stringify(me) + '\n');
    closeSync(fd);
    let released = false;
    return {
      file,
      stale,
      release: () => {
        if (released) return;
        released = true;
        // Only our own lock: never one a later owner took over.
        if (readOwner(file)?.pid === process.pid) unlinkSync(file);
      },
    };
  }
  throw new OwnerLockError(file, readOwner(file));
}
