import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import type { BundledScenario } from '../shared/ipc-contract';

/**
 * Lists the scenarios shipped in `<resourcesRootPath>/resources/scenarios/<dir>/scenario.json`.
 *
 * Only `name` and `description` are read here, for a picker; the full file is parsed and validated by
 * whoever loads the scenario. A directory without a readable scenario.json, or one whose name or
 * description is not a string, is skipped with a warning rather than failing the whole list, so one broken
 * scenario does not hide the others.
 */
export async function listBundledScenarios(resourcesRootPath: string): Promise<BundledScenario[]> {
  const scenariosDirPath = join(resourcesRootPath, 'resources', 'scenarios');
  const entries = await readdir(scenariosDirPath, { withFileTypes: true });

  const scenarios = await Promise.all(
    entries.filter((entry) => entry.isDirectory()).map((entry) => readSummary(join(scenariosDirPath, entry.name, 'scenario.json'))),
  );
  return scenarios.filter((s): s is BundledScenario => s !== null).sort((a, b) => a.name.localeCompare(b.name));
}

async function readSummary(scenarioFilePath: string): Promise<BundledScenario | null> {
  try {
    const parsed: unknown = JSON.parse(await readFile(scenarioFilePath, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not a JSON object');
    const { name, description } = parsed as Record<string, unknown>;
    if (typeof name !== 'string' || typeof description !== 'string') throw new Error('name or description is not a string');
    return { name, description, path: scenarioFilePath };
  } catch (error) {
    console.warn(`[scenarios] skipping ${scenarioFilePath}: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}
