#!/usr/bin/env node
/**
 * Electron security lint: runs Doyensec's electronegativity (fetched on demand with `npm exec`, not a
 * project dependency) on the main-process sources and fails on any HIGH or MEDIUM finding that
 * build/electronegativity-accepted.json does not list with a reason.
 *
 *   node scripts/check-electronegativity.mjs [input …]      (default input: src-main)
 *   --strict   exit 2 (not 0) when the tool cannot be fetched
 *
 * Exit codes: 0 clean (or tool unavailable without --strict), 1 unaccepted findings, 2 tool failure.
 *
 * The tool writes severity only into its CSV output, and writes that file with two unsynchronised
 * appends; it is therefore run with CSV and with SARIF output and the two finding counts must agree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOL = '@doyensec/electronegativity@1.10.3';
const ELECTRON_VERSION = '45.5.0';
const FAILING_SEVERITIES = new Set(['HIGH', 'MEDIUM']);
const projectDir = fileURLToPath(new URL('..', import.meta.url));
const acceptedFile = join(projectDir, 'build', 'electronegativity-accepted.json');

/** Parses RFC-4180-style CSV (quoted fields may hold commas, doubled quotes and newlines). */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.length > 1);
}

function runTool(input, outputFile) {
  const result = spawnSync(
    'npm',
    ['exec', '--yes', `--package=${TOOL}`, '--', 'electronegativity', '-i', input, '-e', ELECTRON_VERSION, '-r', '-v', 'false', '-o', outputFile],
    { cwd: projectDir, encoding: 'utf8', timeout: 300_000, shell: process.platform === 'win32' },
  );
  return { ok: result.status === 0 && existsSync(outputFile), log: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

/** Findings of one input directory: { id, severity, confidence, file, line, description }. */
function findingsOf(input, workDir) {
  const base = join(workDir, relative(projectDir, resolve(projectDir, input)).replace(/[\\/]/g, '_') || 'root');
  const csv = runTool(input, `${base}.csv`);
  if (!csv.ok) return { error: csv.log };
  const sarif = runTool(input, `${base}.sarif`);
  if (!sarif.ok) return { error: sarif.log };
  const rows = parseCsv(readFileSync(`${base}.csv`, 'utf8')).filter((r) => r[0] !== 'issue');
  const sarifCount = JSON.parse(readFileSync(`${base}.sarif`, 'utf8')).runs[0].results.length;
  if (rows.length !== sarifCount) return { error: `CSV has ${rows.length} findings but SARIF ${sarifCount}; the tool's output raced, run again` };
  return {
    findings: rows.map(([id, severity, confidence, file, location, , description]) => ({
      id,
      severity,
      confidence,
      // The tool reports paths relative to the input; make them relative to the project.
      file: file === 'N/A' ? `${input} (global)` : join(input, file).replace(/\\/g, '/'),
      line: Number(location.split(':')[0]) || null,
      description,
    })),
  };
}

function loadAccepted() {
  if (!existsSync(acceptedFile)) return [];
  const parsed = JSON.parse(readFileSync(acceptedFile, 'utf8'));
  for (const [i, entry] of (parsed.accepted ?? []).entries()) {
    if (typeof entry.id !== 'string' || typeof entry.file !== 'string' || typeof entry.reason !== 'string' || entry.reason.trim().length < 20) {
      throw new Error(`${acceptedFile}: accepted[${i}] needs "id", "file" and a "reason" that explains (20+ characters)`);
    }
  }
  return parsed.accepted ?? [];
}

const args = process.argv.slice(2);
const strict = args.includes('--strict');
const inputs = args.filter((a) => !a.startsWith('--'));
if (inputs.length === 0) inputs.push('src-main');

const accepted = loadAccepted();
const workDir = mkdtempSync(join(tmpdir(), 'lfc-electronegativity-'));
let failed = false;
try {
  for (const input of inputs) {
    const result = findingsOf(input, workDir);
    if (result.error) {
      console.error(`electronegativity could not run on ${input}:\n${result.error.trim()}`);
      process.exit(strict ? 2 : 0);
    }
    console.log(`\n${input}: ${result.findings.length} finding(s)`);
    for (const f of result.findings) {
      const acceptance = accepted.find((a) => a.id === f.id && a.file === f.file);
      const failing = FAILING_SEVERITIES.has(f.severity) && !acceptance;
      if (failing) failed = true;
      const mark = failing ? 'FAIL' : acceptance ? 'accepted' : 'ok';
      console.log(`  [${mark}] ${f.severity}/${f.confidence} ${f.id} ${f.file}${f.line ? `:${f.line}` : ''} — ${f.description}`);
      if (acceptance) console.log(`           reason: ${acceptance.reason}`);
    }
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
console.log(failed ? '\nUnaccepted HIGH/MEDIUM findings: fix them or list them with a reason in build/electronegativity-accepted.json.' : '\nNo unaccepted HIGH/MEDIUM findings.');
process.exit(failed ? 1 : 0);
