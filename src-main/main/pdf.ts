/**
 * `runs:exportPdf` in the desktop app: the calling page already shows the run's report under its print
 * CSS (RunsView's report article), so Chromium's own print pipeline (`webContents.printToPDF`) turns that
 * page into an A4 PDF, and the bytes go back to the page as a file to save.
 */
import type { PrintToPDFOptions } from 'electron';

import type { LfcCore } from '../core/lfc-core';
import { CoreError } from '../core/requests';
import type { ExportedFile } from '../shared/ipc-contract';

/** The part of Electron's `WebContents` used here. */
export interface PrintableContents {
  isDestroyed(): boolean;
  printToPDF(options: PrintToPDFOptions): Promise<Buffer>;
}

export const PDF_OPTIONS: PrintToPDFOptions = {
  pageSize: 'A4',
  printBackground: true,
  preferCSSPageSize: true,
};

/** File name of a run's report: the run id made safe for every file system. */
export function reportFileName(runId: string): string {
  return `lfc-report-${runId.replace(/[^A-Za-z0-9_.-]+/g, '-')}.pdf`;
}

export async function exportRunPdf(contents: PrintableContents, core: Pick<LfcCore, 'getRun'>, runId: unknown): Promise<ExportedFile> {
  if (typeof runId !== 'string' || runId.length === 0) throw new CoreError('BAD_REQUEST', 'runs:exportPdf: a run id is required');
  const run = core.getRun(runId);
  if (contents.isDestroyed()) throw new CoreError('NOT_READY', 'runs:exportPdf: the window that asked is gone');
  const bytes = await contents.printToPDF(PDF_OPTIONS);
  if (bytes.length < 5 || bytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
    throw new Error(`runs:exportPdf: Chromium returned ${bytes.length} bytes that are not a PDF`);
  }
  return { fileName: reportFileName(run.runId), mimeType: 'application/pdf', base64: bytes.toString('base64') };
}
