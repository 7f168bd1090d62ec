import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractKmlFromKmz, listZipEntries, readZipEntry, ZipError } from '../../../../src-main/node/weather/kmz.js';

const FIXTURES = new URL('../../../integration/weather/fixtures/', import.meta.url);
// Made with Python's zipfile (an independent writer): the real DWD sample KML, deflated.
const kmz = new Uint8Array(readFileSync(new URL('MOSMIX_L_LATEST_P0036.kmz', FIXTURES)));
const stored = new Uint8Array(readFileSync(new URL('stored-two-files.zip', FIXTURES)));

describe('extractKmlFromKmz', () => {
  it('inflates the one KML byte for byte', () => {
    const { name, data } = extractKmlFromKmz(kmz);
    expect(name).toBe('MOSMIX_L_2023041209_P0036.kml');
    expect(data.equals(readFileSync(new URL('../../../fixtures/weather/mosmix-sample.kml', import.meta.url)))).toBe(true);
  });

  it('reads stored entries and picks the .kml among other files', () => {
    expect(listZipEntries(stored).map((e) => [e.name, e.method])).toEqual([
      ['readme.txt', 0],
      ['a.kml', 0],
    ]);
    expect(extractKmlFromKmz(stored).data.toString()).toBe('<kml:kml>tiny</kml:kml>');
    expect(readZipEntry(stored, listZipEntries(stored)[0]!).toString()).toBe('hello');
  });

  it('refuses what is not a zip, a truncated one and a damaged one, saying why', () => {
    expect(() => extractKmlFromKmz(new TextEncoder().encode('<html>404</html>'), 'MOSMIX_L_LATEST_X.kmz')).toThrow(
      /MOSMIX_L_LATEST_X\.kmz: not a zip archive/,
    );
    const damaged = kmz.slice();
    damaged[200] = damaged[200]! ^ 0xff; // inside the deflate stream
    expect(() => extractKmlFromKmz(damaged)).toThrow(ZipError);
    expect(() => extractKmlFromKmz(damaged)).toThrow(/does not inflate|CRC-32|inflated to/);
    const noKml = stored.slice();
    // Rename a.kml → a.kmx in the central directory only.
    const text = Buffer.from(noKml);
    const at = text.lastIndexOf('a.kml');
    noKml[at + 4] = 'x'.charCodeAt(0);
    expect(() => extractKmlFromKmz(noKml)).toThrow(/expected exactly one \.kml file inside, got none/);
  });
});
