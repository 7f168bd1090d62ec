/**
 * The EMS's own OPC UA PKI: its application certificate and the lists of server certificates it trusts or
 * has refused, in one folder the app owns (never node-opcua's default under `$HOME/.config`). Layout, as
 * node-opcua's certificate manager keeps it:
 *
 * ```
 * <pkiDir>/own/certs/client_certificate.pem   the EMS's application certificate (created on first connection)
 * <pkiDir>/own/private/private_key.pem        its private key
 * <pkiDir>/trusted/certs/                     server certificates the operator accepted
 * <pkiDir>/rejected/                          server certificates seen but not (yet) accepted
 * ```
 *
 * Trust on first use with an explicit accept step: an unknown server certificate is stored under
 * `rejected/` and the connection is refused with its thumbprint; `acceptRejectedCertificate` moves it to
 * `trusted/` once the operator has compared the thumbprint with the one the server's owner announced.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { OPCUACertificateManager } from 'node-opcua';

/** SHA-1 thumbprint (lower-case hex) of a DER certificate: the fingerprint OPC UA tools show. */
export function certificateThumbprint(der: Buffer): string {
  return createHash('sha1').update(der).digest('hex');
}

/** The first (leaf) certificate of a DER chain (a chain is concatenated DER certificates). */
export function leafCertificate(chain: Buffer): Buffer {
  if (chain.length < 2 || chain[0] !== 0x30) throw new Error('not a DER certificate');
  const lengthByte = chain[1]!;
  if (lengthByte < 0x80) return chain.subarray(0, 2 + lengthByte);
  const n = lengthByte & 0x7f;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + chain[2 + i]!;
  return chain.subarray(0, 2 + n + length);
}

/** Opens (and on first use creates) the PKI folder. */
export async function openClientPki(pkiDir: string): Promise<OPCUACertificateManager> {
  const rootFolder = resolve(pkiDir);
  mkdirSync(rootFolder, { recursive: true });
  const manager = new OPCUACertificateManager({ rootFolder, name: 'PKI', automaticallyAcceptUnknownCertificate: false });
  await manager.initialize();
  return manager;
}

/**
 * Moves the refused certificate with this thumbprint from `rejected/` to `trusted/`. Throws when no refused
 * certificate has it (a typo, or a certificate never seen).
 */
export async function acceptRejectedCertificate(manager: OPCUACertificateManager, thumbprint: string): Promise<void> {
  const wanted = thumbprint.replace(/[:\s]/g, '').toLowerCase();
  const folder = manager.rejectedFolder;
  let files: string[] = [];
  try {
    files = readdirSync(folder);
  } catch {
    files = [];
  }
  for (const file of files) {
    if (!/\.(pem|der)$/i.test(file)) continue;
    const bytes = readFileSync(join(folder, file));
    let der: Buffer;
    try {
      der = file.toLowerCase().endsWith('.pem') ? Buffer.from(new X509Certificate(bytes).raw) : bytes;
    } catch {
      continue;
    }
    if (certificateThumbprint(der) === wanted) {
      await manager.trustCertificate(der);
      return;
    }
  }
  throw new Error(`no refused server certificate with thumbprint ${wanted} in ${folder}`);
}
