/**
 * `npm run scenarios -- generate [--seed N] [--count K] --out DIR`
 *
 * Writes K generated scenarios (seeded, see `scenarios/generator.ts`) under DIR, one folder each, and prints
 * a line per scenario. Same seed → byte-identical files; scenario i does not depend on K. Exit 2 on bad
 * arguments, 1 when writing fails.
 */
import { generateScenarioFiles } from '../scenarios/generate-files.js';
import { HelpRequested, parseCommandLine, usageText, UsageError, wholeNumber } from './args.js';

const USAGE = usageText('scenarios', 'generate --out <dir> [options]', [
  ['--out <dir>', 'one folder per scenario here'],
  ['--seed N', 'the seed (default 1): the same seed gives byte-identical files'],
  ['--count K', 'how many scenarios (default 100); scenario i does not depend on K'],
]);

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
  let seed: number;
  let count: number;
  let outDir: string;
  try {
    const { values: v } = parseCommandLine(rest, { seed: { type: 'string' }, count: { type: 'string' }, out: { type: 'string' } }, USAGE);
    // Every problem at once, as a scenario file's are.
    const problems: string[] = [];
    const check = <T>(f: () => T, fallback: T): T => {
      try {
        return f();
      } catch (e) {
        problems.push((e as Error).message);
        return fallback;
      }
    };
    seed = v.seed === undefined ? 1 : check(() => wholeNumber('--seed', v.seed!, 0), 1);
    count = v.count === undefined ? 100 : check(() => wholeNumber('--count', v.count!, 1), 100);
    if (!v.out) problems.push('--out DIR is required');
    if (problems.length > 0) throw new UsageError(`${problems.join('\n')}\n${USAGE}`);
    outDir = v.out!;
  } catch (e) {
    if (e instanceof HelpRequested) {
      out(USAGE + '\n');
      return 0;
    }
    err(`scenarios: ${(e as Error).message}\n`);
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
