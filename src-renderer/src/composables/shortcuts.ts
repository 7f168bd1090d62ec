import { VIEWS } from '../stores/navigation';
import type { ViewName } from '../stores/navigation';

export type ShortcutAction = { kind: 'stop' } | { kind: 'view'; view: ViewName };

/**
 * The console's keyboard shortcuts (documented in the README and shown on the buttons):
 * Alt+S stops the run from any view (also while a form field has focus), Alt+1 … Alt+7 switch views.
 * `code` is used for the digits and S so the shortcut works on every keyboard layout (Alt+S on a German
 * layout is still KeyS).
 */
export function shortcutFor(e: { code: string; altKey: boolean; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }): ShortcutAction | null {
  if (!e.altKey || e.ctrlKey || e.metaKey) return null;
  if (e.code === 'KeyS') return { kind: 'stop' };
  const m = /^Digit([1-9])$/.exec(e.code);
  if (m) {
    const view = VIEWS[Number(m[1]) - 1];
    return view ? { kind: 'view', view } : null;
  }
  return null;
}
