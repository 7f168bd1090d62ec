/**
 * What the long-running service commands (`npm run ems`, `npm run fleet`) share: they run until SIGINT or
 * SIGTERM (or a test's stop signal), and their `main` maps the outcome to an exit code the same way:
 * help to stdout (0), a usage or configuration problem (2) or any other failure (1) to stderr, prefixed with
 * the command's name.
 */

/** Resolves on `stopSignal` when given (tests), otherwise on the process's first SIGINT or SIGTERM. */
export function stopRequested(stopSignal?: Promise<void>): Promise<void> {
  return (
    stopSignal ??
    new Promise<void>((resolveStop) => {
      process.once('SIGINT', () => resolveStop());
      process.once('SIGTERM', () => resolveStop());
    })
  );
}

export async function serviceMain<A>(
  name: string,
  argv: string[],
  o: { usage: string; parse: (argv: string[]) => A | 'help'; run: (args: A) => Promise<void>; isUsageError: (err: unknown) => boolean },
): Promise<number> {
  try {
    const args = o.parse(argv);
    if (args === 'help') {
      process.stdout.write(`${o.usage}\n`);
      return 0;
    }
    await o.run(args);
    return 0;
  } catch (err) {
    if (o.isUsageError(err)) {
      process.stderr.write(`${name}: ${(err as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}
