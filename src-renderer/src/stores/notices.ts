import { defineStore } from 'pinia';
import { ref } from 'vue';

import { call } from '../api';
import type { MenuCommand, RecordVerification } from '../api';

/** A message the console shows in its dialog: a title and lines of text, with a tone. */
export interface Notice {
  title: string;
  lines: string[];
  tone: 'info' | 'ok' | 'warn' | 'bad';
}

/** Translator as the store needs it (vue-i18n's `t`). */
export type Translate = (key: string, values?: Record<string, unknown>) => string;

/** The lines that tell the operator what a record verification found. */
export function describeVerification(r: RecordVerification, t: Translate): Notice {
  if (!r.ok) return { title: t('notice.verifyTitle'), tone: 'bad', lines: [r.path, t('notice.verifyBad', { entry: r.entry, line: r.line, message: r.message })] };
  const lines = [r.path, t('notice.verifyOk', { entries: r.entries, fingerprint: r.keyFingerprint, installation: r.installation })];
  if (r.resumes > 0) lines.push(t('notice.verifyResumed', { resumes: r.resumes, unsealed: r.resumesAfterUnsealed }));
  for (const x of r.recoveries) lines.push(t('notice.verifyRecovered', { entry: x.entry, file: x.savedTo }));
  if (!r.sealed) lines.push(t('notice.verifyUnsealed'));
  // Intact but not closed (or cut at its end): a warning, not a pass.
  return { title: t('notice.verifyTitle'), tone: r.sealed ? 'ok' : 'warn', lines };
}

/** What the console does for a desktop menu item, minus the parts that belong to other stores. */
export type MenuEffect =
  | { kind: 'go'; view: Extract<MenuCommand, { action: 'view' }>['view'] }
  | { kind: 'stop' }
  | { kind: 'openScenario'; path: string }
  | { kind: 'verifyRecord'; path: string }
  | { kind: 'about' };

export function menuEffect(command: MenuCommand): MenuEffect {
  switch (command.action) {
    case 'view':
      return { kind: 'go', view: command.view };
    case 'stop':
      return { kind: 'stop' };
    case 'openScenario':
      return { kind: 'openScenario', path: command.path };
    case 'exportRun':
      return { kind: 'go', view: 'runs' };
    case 'verifyRecord':
      return { kind: 'verifyRecord', path: command.path };
    case 'about':
      return { kind: 'about' };
  }
}

/** Start-up problems (a banner until dismissed) and the one dialog the console shows at a time. */
export const useNoticesStore = defineStore('notices', () => {
  const startupProblems = ref<string[]>([]);
  const dialog = ref<Notice | null>(null);

  async function loadStartupProblems(): Promise<void> {
    const r = await call('app:getStartupProblems');
    if (r.ok) startupProblems.value = r.value;
  }
  function dismissStartupProblems(): void {
    startupProblems.value = [];
  }
  function show(notice: Notice): void {
    dialog.value = notice;
  }
  function close(): void {
    dialog.value = null;
  }
  async function verifyRecord(path: string, t: Translate): Promise<void> {
    const r = await call('record:verify', path);
    show(r.ok ? describeVerification(r.value, t) : { title: t('notice.verifyTitle'), tone: 'bad', lines: [path, t('notice.verifyFailed', { message: r.error.message })] });
  }
  return { startupProblems, dialog, loadStartupProblems, dismissStartupProblems, show, close, verifyRecord };
});
