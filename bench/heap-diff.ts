/**
 * `node --import tsx bench/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [top]`: what grew between
 * two V8 heap snapshots (`bench/soak-heap.ts --snapshots`), by node type and name (a constructor, a string,
 * `(object elements)` for array backing stores …): count and self size before, after and the difference,
 * the `top` (default 30) largest growths first. Self sizes, not retained ones: enough to name what piles up.
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function byKind(file: string): Map<string, { count: number; bytes: number }> {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const f = s.snapshot.meta.node_fields;
  const width = f.length;
  const iType = f.indexOf('type');
  const iName = f.indexOf('name');
  const iSize = f.indexOf('self_size');
  const types = s.snapshot.meta.node_types[0];
  const out = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < s.nodes.length; i += width) {
    const type = types[s.nodes[i + iType]!]!;
    // Strings and numbers by type only: their names are their values.
    const name = type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number' ? '' : s.strings[s.nodes[i + iName]!]!.slice(0, 60);
    const key = `${type} ${name}`;
    const e = out.get(key) ?? { count: 0, bytes: 0 };
    e.count++;
    e.bytes += s.nodes[i + iSize]!;
    out.set(key, e);
  }
  return out;
}

const [beforeFile, afterFile, topArg] = process.argv.slice(2);
if (!beforeFile || !afterFile) throw new Error('usage: heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [top]');
const a = byKind(beforeFile);
const b = byKind(afterFile);
const rows = [...new Set([...a.keys(), ...b.keys()])].map((k) => {
  const x = a.get(k) ?? { count: 0, bytes: 0 };
  const y = b.get(k) ?? { count: 0, bytes: 0 };
  return { kind: k, countBefore: x.count, countAfter: y.count, kbBefore: Math.round(x.bytes / 1024), kbAfter: Math.round(y.bytes / 1024), kbGrowth: Math.round((y.bytes - x.bytes) / 1024) };
});
rows.sort((p, q) => q.kbGrowth - p.kbGrowth);
const total = (m: Map<string, { bytes: number }>) => Math.round([...m.values()].reduce((t, e) => t + e.bytes, 0) / 1024);
process.stdout.write(`total self size: ${total(a)} kB → ${total(b)} kB\n`);
for (const r of rows.slice(0, Number(topArg ?? 30))) process.stdout.write(`${String(r.kbGrowth).padStart(8)} kB  ${String(r.countBefore).padStart(8)} → ${String(r.countAfter).padStart(8)}  ${r.kind}\n`);
