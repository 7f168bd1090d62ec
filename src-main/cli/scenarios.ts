/**
 * `npm run scenarios -- generate [--seed N] [--count K] --out DIR`
 *
 * Writes K generated scenarios (seeded, see `scenarios/generator.ts`) under DIR, one folder each, and prints
 * a line per scenario. Same seed → byte-identical files; scenario i does not depend on K. Exit 2 on bad
 * arguments, 1 when writing fails.
 */
import { generateScenarioFiles } from '../scenarios/generate-files.js';

const USAGE = 'usage: npm run scenarios -- generate [--seed N (default 1)] [--count K (default 100)] --out DIR';

function wholeNumber(flag: string, text: string | undefined, min: number): number {
  const n = text === undefined ? NaN : Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${flag} needs a whole number ≥ ${min}, got ${JSON.stringify(text ?? '')}`);
  return n;
}

export async function scenariosMain(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h') {
    out(USAGE + '\n');
    return 0;
  }
  if (command !== 'generate') {
    err(`scenarios: unknown command ${JSON.stringify(command ?? '')}\n${USAGE}\n`);
    return 2;
  }
  let seed = 1;
  let count = 100;
  let outDir: string | undefined;
  try {
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === '--seed') seed = wholeNumber('--seed', rest[++i], 0);
      else if (a === '--count') count = wholeNumber('--count', rest[++i], 1);
      else if (a === '--out') outDir = rest[++i];
      else throw new Error(`unknown argument ${JSON.stringify(a)}`);
    }
    if (!outDir) throw new Error('--out DIR is required');
  } catch (e) {
    err(`scenarios: ${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  try {
    await generateScenarioFiles({
      seed,
      count,
      outDir,
      onWritten: (w) => {
        const s = w.summary;
        out(`${w.name}  ${s.date} ${s.season.padEnd(6)}  ${String(s.members).padStart(4)} members  UC ${s.useCases.join(',')}  faults ${s.faults.join(',') || '—'}\n`);
      },
    });
  } catch (e) {
    err(`scenarios: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  out(`wrote ${count} scenario(s) of seed ${seed} to ${outDir}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  void scenariosMain(process.argv.slice(2)).then((code) => process.exit(code));
}
