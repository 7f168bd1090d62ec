/**
 * A tiny file logger for the desktop app and serve mode: one line per message (`ISO time LEVEL text`),
 * appended synchronously (a crash loses nothing already logged; the app logs a few lines a minute), and
 * rotated by size: `lfc.log` → `lfc.log.1` → … → `lfc.log.<keep>`, the oldest dropped.
 *
 * Logging must never take the app down: a write that fails (disk full, folder removed) is reported once on
 * stderr and the logger goes on trying with the next message.
 */
import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { format } from 'node:util';

export type LogLevel = 'info' | 'warn' | 'error';

export interface FileLoggerOptions {
  /** Rotate when the file would grow past this many bytes (default 5 MiB). */
  maxBytes?: number;
  /** How many rotated files to keep (default 3). */
  keep?: number;
  /** Wall clock for the time stamps (tests pass a fixed one). */
  now?: () => number;
}

export class FileLogger {
  readonly file: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private readonly now: () => number;
  private sizeBytes: number;
  private failed = false;
  private closed = false;

  constructor(file: string, options: FileLoggerOptions = {}) {
    this.file = resolve(file);
    this.maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
    this.keep = Math.max(1, options.keep ?? 3);
    this.now = options.now ?? (() => Date.now());
    mkdirSync(dirname(this.file), { recursive: true });
    this.sizeBytes = existsSync(this.file) ? statSync(this.file).size : 0;
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  write(level: LogLevel, args: readonly unknown[]): void {
    if (this.closed) return;
    // One message is one line: continuation lines (stack traces) are indented so the file stays greppable.
    const text = format(...args).replace(/\r?\n/g, '\n    ');
    const line = `${new Date(this.now()).toISOString()} ${level.toUpperCase().padEnd(5)} ${text}\n`;
    const bytes = Buffer.byteLength(line);
    try {
      if (this.sizeBytes > 0 && this.sizeBytes + bytes > this.maxBytes) this.rotate();
      appendFileSync(this.file, line, { mode: 0o600 });
      this.sizeBytes += bytes;
      this.failed = false;
    } catch (error) {
      if (!this.failed) process.stderr.write(`[log] cannot write ${this.file}: ${(error as Error).message}\n`);
      this.failed = true;
    }
  }

  private rotate(): void {
    rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) {
      if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
    }
    renameSync(this.file, `${this.file}.1`);
    this.sizeBytes = 0;
  }

  close(): void {
    this.closed = true;
  }
}

/**
 * Copies everything the process writes through `console.log/info/warn/error` into the log as well (the
 * core and the IPC layer report through `console`). Returns the function that restores the console.
 */
export function teeConsole(logger: FileLogger, target: Pick<Console, 'log' | 'info' | 'warn' | 'error'> = console): () => void {
  const original = { log: target.log, info: target.info, warn: target.warn, error: target.error };
  const wrap =
    (level: LogLevel, through: (...a: unknown[]) => void) =>
    (...args: unknown[]): void => {
      through.apply(target, args);
      logger.write(level, args);
    };
  target.log = wrap('info', original.log);
  target.info = wrap('info', original.info);
  target.warn = wrap('warn', original.warn);
  target.error = wrap('error', original.error);
  return () => Object.assign(target, original);
}
