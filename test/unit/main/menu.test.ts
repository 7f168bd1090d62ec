/** The application menu as a template: every item sends the typed command the console handles. */
import type { MenuItemConstructorOptions } from 'electron';
import { describe, expect, it } from 'vitest';

import { buildMenuTemplate } from '../../../src-main/main/menu';
import { CONSOLE_VIEWS } from '../../../src-main/shared/ipc-contract';
import type { MenuCommand } from '../../../src-main/shared/ipc-contract';

function setup(chosen: string | null, language: 'en' | 'de' = 'en') {
  const sent: MenuCommand[] = [];
  const asked: string[] = [];
  const template = buildMenuTemplate(
    {
      send: (c) => sent.push(c),
      chooseFile: (kind) => {
        asked.push(kind);
        return Promise.resolve(chosen);
      },
    },
    { language, isMac: false, dev: false },
  );
  const items = template.flatMap((m) => (Array.isArray(m.submenu) ? m.submenu : []));
  const item = (id: string): MenuItemConstructorOptions => {
    const found = items.find((i) => i.id === id);
    if (!found) throw new Error(`no menu item ${id}`);
    return found;
  };
  const click = async (id: string): Promise<void> => {
    (item(id).click as () => void)();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { template, sent, asked, item, click };
}

describe('application menu', () => {
  it('has File, View, Run and Help', () => {
    expect(setup(null).template.map((m) => m.label)).toEqual(['File', 'View', 'Run', 'Help']);
    expect(setup(null, 'de').template.map((m) => m.label)).toEqual(['Datei', 'Ansicht', 'Lauf', 'Hilfe']);
  });

  it('switches the seven views with Alt+1…7 and stops with Alt+S, leaving the keys to the page', async () => {
    const m = setup(null);
    for (const [i, v] of CONSOLE_VIEWS.entries()) {
      expect(m.item(`view-${v}`)).toMatchObject({ accelerator: `Alt+${i + 1}`, registerAccelerator: false });
      await m.click(`view-${v}`);
    }
    expect(m.item('stop')).toMatchObject({ accelerator: 'Alt+S', registerAccelerator: false });
    await m.click('stop');
    await m.click('about');
    await m.click('export-run');
    expect(m.sent).toEqual([...CONSOLE_VIEWS.map((view) => ({ action: 'view', view })), { action: 'stop' }, { action: 'about' }, { action: 'exportRun' }]);
  });

  it('asks main’s file dialog first and sends the chosen path, or nothing when cancelled', async () => {
    const chosen = setup('/data/site/scenario.json');
    await chosen.click('open-scenario');
    await chosen.click('verify-record');
    expect(chosen.asked).toEqual(['scenario', 'record']);
    expect(chosen.sent).toEqual([
      { action: 'openScenario', path: '/data/site/scenario.json' },
      { action: 'verifyRecord', path: '/data/site/scenario.json' },
    ]);
    const cancelled = setup(null);
    await cancelled.click('open-scenario');
    expect(cancelled.sent).toEqual([]);
  });
});
