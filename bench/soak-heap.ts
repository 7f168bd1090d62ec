/**
 * `node --expose-gc --import tsx bench/soak-heap.ts [--soak-hours H] [--every-s S] [--snapshots a,b]`: the
 * soak bench (`soak.ts`) with the heap measured after a forced GC every S real seconds (default 30), to
 * tell a leak (heap after GC keeps rising) from bounded growth (it levels off). With `--snapshots 90,300`
 * it also writes V8 heap snapshots at those real seconds (`bench/results/soak-<s>.heapsnapshot`), to be
 * compared by constructor with `bench/heap-diff.ts`. Prints one line per sample and a JSON summary.
 */
import { writeHeapSnapshot } from 'node:v8';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { benchSoak, forcedGc } from './soak';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

async function main(): Promise<void> {
  const gc = forcedGc();
  const everyS = Number(arg('--every-s') ?? 30);
  const snapshots = (arg('--snapshots') ?? '').split(',').filter(Boolean).map(Number);
  const t0 = performance.now();
  const samples: Array<{ wallS: number; heapAfterGcMb: number; rssMb: number }> = [];
  const sample = () => {
    gc();
    const m = process.memoryUsage();
    const s = { wallS: Math.round((performance.now() - t0) / 1000), heapAfterGcMb: mb(m.heapUsed), rssMb: mb(m.rss) };
    samples.push(s);
    process.stderr.write(`${JSON.stringify(s)}\n`);
  };
  sample();
  const timer = setInterval(sample, everyS * 1000);
  const snapTimers = snapshots.map((s) =>
    setTimeout(() => {
      gc();
      const file = writeHeapSnapshot(resolve(dirname(fileURLToPath(import.meta.url)), 'results', `soak-${s}.heapsnapshot`));
      process.stderr.write(`heap snapshot ${file}\n`);
    }, s * 1000),
  );
  const rows = await benchSoak();
  clearInterval(timer);
  for (const t of snapTimers) clearTimeout(t);
  sample();
  process.stdout.write(JSON.stringify({ soak: rows[0], samples }, null, 1) + '\n');
}

void main();
