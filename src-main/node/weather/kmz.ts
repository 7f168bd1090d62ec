/**
 * Reads the one KML out of a KMZ (a zip archive), as DWD serves MOSMIX: the zip's central directory is read
 * from its end record, the entry's local header gives where its data starts, and the data is inflated with
 * node's own zlib (`inflateRawSync`), then checked against the recorded size and CRC-32. Stored (method 0)
 * and deflated (method 8) entries are supported; anything else (zip64, encryption, other methods) is refused
 * with a message saying so.
 */
import { crc32, inflateRawSync } from 'node:zlib';

export class ZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipError';
  }
}

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  localHeaderOffset: number;
  flags: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;

/** Lists the entries of a zip archive from its central directory. */
export function listZipEntries(zip: Uint8Array, what = 'zip'): ZipEntry[] {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  // The end record is 22 bytes plus a comment of up to 65535 bytes.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (buf.readUInt32LE(i) === EOCD_SIGNATURE) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError(`${what}: not a zip archive (no end-of-central-directory record in ${buf.length} bytes)`);
  const count = buf.readUInt16LE(eocd + 10);
  const dirOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || dirOffset === 0xffffffff) throw new ZipError(`${what}: zip64 archives are not supported`);
  const entries: ZipEntry[] = [];
  let p = dirOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL_SIGNATURE) throw new ZipError(`${what}: central directory entry ${n + 1} is damaged (at byte ${p})`);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    entries.push({
      flags: buf.readUInt16LE(p + 8),
      method: buf.readUInt16LE(p + 10),
      crc32: buf.readUInt32LE(p + 16),
      compressedSize: buf.readUInt32LE(p + 20),
      uncompressedSize: buf.readUInt32LE(p + 24),
      localHeaderOffset: buf.readUInt32LE(p + 42),
      name: buf.toString('utf8', p + 46, p + 46 + nameLength),
    });
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The bytes of one entry, inflated and checked. */
export function readZipEntry(zip: Uint8Array, entry: ZipEntry, what = 'zip'): Buffer {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const at = entry.localHeaderOffset;
  if (at + 30 > buf.length || buf.readUInt32LE(at) !== LOCAL_SIGNATURE) throw new ZipError(`${what}: local header of ${entry.name} is damaged (at byte ${at})`);
  if (entry.flags & 0x1) throw new ZipError(`${what}: ${entry.name} is encrypted`);
  const start = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  const end = start + entry.compressedSize;
  if (end > buf.length) throw new ZipError(`${what}: ${entry.name} is truncated (needs ${end} bytes, the file has ${buf.length})`);
  const raw = buf.subarray(start, end);
  let data: Buffer;
  if (entry.method === 0) data = Buffer.from(raw);
  else if (entry.method === 8) {
    try {
      data = inflateRawSync(raw);
    } catch (err) {
      throw new ZipError(`${what}: ${entry.name} does not inflate: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else throw new ZipError(`${what}: ${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) are supported`);
  if (data.length !== entry.uncompressedSize) throw new ZipError(`${what}: ${entry.name} inflated to ${data.length} bytes, the directory says ${entry.uncompressedSize}`);
  const crc = crc32(data) >>> 0;
  if (crc !== entry.crc32 >>> 0) throw new ZipError(`${what}: ${entry.name} fails its CRC-32 check (damaged download?)`);
  return data;
}

/** The single `.kml` inside a KMZ; an archive with none or several is refused. */
export function extractKmlFromKmz(kmz: Uint8Array, what = 'KMZ'): { name: string; data: Buffer } {
  const kmls = listZipEntries(kmz, what).filter((e) => e.name.toLowerCase().endsWith('.kml'));
  if (kmls.length !== 1) {
    throw new ZipError(`${what}: expected exactly one .kml file inside, got ${kmls.length === 0 ? 'none' : kmls.map((e) => e.name).join(', ')}`);
  }
  const entry = kmls[0]!;
  return { name: entry.name, data: readZipEntry(kmz, entry, what) };
}
