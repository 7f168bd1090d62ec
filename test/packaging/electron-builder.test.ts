/**
 * Packaging: runs electron-builder with build/electron-builder.yml for an unpacked Linux app (`--dir`)
 * and checks what an installer would contain: app.asar with the built bundles and main's runtime
 * dependencies (better-sqlite3 unpacked, as native modules must be), the extra resources and the icon.
 *
 * Offline by construction: `electronDist` points at a folder with a stand-in `electron` executable (so no
 * Electron zip is fetched), `npmRebuild=false` (rebuilding better-sqlite3 for Electron needs Electron's
 * headers from the network), and `--dir` builds no AppImage/deb (whose tools are downloaded).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { listPackage } from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const projectDir = fileURLToPath(new URL('../..', import.meta.url));
const bin = (name: string) => join(projectDir, 'node_modules', '.bin', process.platform === 'win32' ? `${name}.cmd` : name);

describe('electron-builder packaging', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'lfc-package-'));
  const outputDir = join(workDir, 'dist');
  const unpackedDir = join(outputDir, 'linux-unpacked');
  let log = '';

  beforeAll(() => {
    if (!existsSync(join(projectDir, 'out', 'main', 'index.js'))) {
      const build = spawnSync(bin('electron-vite'), ['build'], { cwd: projectDir, encoding: 'utf8' });
      if (build.status !== 0) throw new Error(`electron-vite build failed:\n${build.stdout}\n${build.stderr}`);
    }
    const electronDist = join(workDir, 'electron-stub');
    mkdirSync(electronDist);
    writeFileSync(join(electronDist, 'electron'), '#!/bin/sh\necho "stand-in for the Electron binary (packaging test)"\n');
    chmodSync(join(electronDist, 'electron'), 0o755);
    const result = spawnSync(
      bin('electron-builder'),
      [
        '--linux',
        '--dir',
        '--config',
        'build/electron-builder.yml',
        `-c.electronDist=${electronDist}`,
        '-c.npmRebuild=false',
        '-c.electronVersion=45.5.0',
        `-c.directories.output=${outputDir}`,
      ],
      // No proxy or mirror settings are needed: nothing is downloaded (this machine has no route to do so).
      { cwd: projectDir, encoding: 'utf8', timeout: 240_000 },
    );
    log = `${result.stdout}\n${result.stderr}`;
    if (result.status !== 0) throw new Error(`electron-builder failed (${result.status ?? result.signal}):\n${log.slice(-4000)}`);
  }, 300_000);

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('packs the built bundles and main runtime dependencies into app.asar, with native modules unpacked', () => {
    const asarPath = join(unpackedDir, 'resources', 'app.asar');
    expect(existsSync(asarPath)).toBe(true);
    const entries = new Set(listPackage(asarPath, { isPack: false }).map((entry) => entry.replace(/\\/g, '/')));
    for (const entry of ['/package.json', '/out/main/index.js', '/out/preload/index.cjs', '/out/renderer/index.html']) expect(entries).toContain(entry);
    for (const dependency of ['better-sqlite3', 'node-opcua', 'zod', 'ws', 'highs', 'electron-store']) {
      expect(entries, dependency).toContain(`/node_modules/${dependency}/package.json`);
    }
    // Sources and the renderer's packages (bundled by Vite) stay out.
    expect([...entries].filter((e) => e.startsWith('/src-main') || e.startsWith('/src-renderer') || e.startsWith('/test'))).toEqual([]);
    for (const devOnly of ['vue', 'chart.js', 'electron', 'vitest']) expect(entries).not.toContain(`/node_modules/${devOnly}/package.json`);
    expect(existsSync(join(unpackedDir, 'resources', 'app.asar.unpacked', 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
  });

  it('ships scenarios, profiles, OpenAPI and OPC UA resources, and the icon', () => {
    const resourcesDir = join(unpackedDir, 'resources', 'resources');
    for (const folder of ['scenarios', 'profiles', 'openapi', 'opcua']) {
      const source = readdirSync(join(projectDir, 'resources', folder)).sort();
      expect(source.length, folder).toBeGreaterThan(0);
      expect(readdirSync(join(resourcesDir, folder)).sort(), folder).toEqual(source);
    }
    expect(existsSync(join(resourcesDir, 'scenarios', 'summer-export-hold', 'scenario.json'))).toBe(true);
    expect(readdirSync(join(resourcesDir, 'icons')).sort()).toEqual(['256x256.png', '512x512.png', 'icon.png']);
  });

  it('names the executable as configured', () => {
    expect(existsSync(join(unpackedDir, 'local-flex-controller')), log.slice(-2000)).toBe(true);
  });
});
