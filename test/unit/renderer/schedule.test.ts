import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';

import type { IpcResult, LfcApi, TriggerCheck, TriggerRequest } from '../../../src-main/shared/ipc-contract';
import { setBridge } from '../../../src-renderer/src/api';
import { useSetpointStore } from '../../../src-renderer/src/stores/setpoint';
import { parseSchedulePaste, parseTimeText, resolveSchedule } from '../../../src-renderer/src/composables/schedule';

const ROME = 'Europe/Rome';
/** 21 June 2026, 09:00:20 in Rome (07:00:20 UTC). */
const NOW = Date.UTC(2026, 5, 21, 7, 0, 20);
const at = (h: number, m: number, dayOffset = 0) => Date.UTC(2026, 5, 21 + dayOffset, h - 2, m);
const opts = { nowMs: NOW, timeZone: ROME, useCase: 4 as const, connectionLimitKw: 630 };

describe('parseTimeText', () => {
  it('reads a time of day or a full date and time, as spreadsheets write them', () => {
    expect(parseTimeText('14:00')).toEqual({ kind: 'time', hour: 14, minute: 0, second: 0 });
    expect(parseTimeText(' 7:05 ')).toEqual({ kind: 'time', hour: 7, minute: 5, second: 0 });
    expect(parseTimeText('14.30 Uhr')).toEqual({ kind: 'time', hour: 14, minute: 30, second: 0 });
    expect(parseTimeText('14:00:30')).toMatchObject({ second: 30 });
    expect(parseTimeText('2026-06-21 14:00')).toEqual({ kind: 'datetime', year: 2026, month: 6, day: 21, hour: 14, minute: 0, second: 0 });
    expect(parseTimeText('21.06.2026 14:00')).toMatchObject({ kind: 'datetime', year: 2026, month: 6, day: 21, hour: 14 });
    for (const bad of ['', '24:00', '14:60', '1400', 'noon', '14:00 pm', '2026-13-01 10:00']) expect(parseTimeText(bad), bad).toBeNull();
  });
});

describe('resolveSchedule: rows of start time and target, each until the next', () => {
  it('makes packages on the session clock in the site’s zone, the minute under way starting now', () => {
    const r = resolveSchedule(
      [
        { start: '09:00', target: '-100' },
        { start: '10:30', target: '−150,5' },
        { start: '11:00', target: '0' },
      ],
      '12:00',
      opts,
    );
    expect(r.rows.map((x) => x.problems)).toEqual([[], [], []]);
    expect(r.packages).toEqual([
      { fromMs: NOW, toMs: at(10, 30), targetKw: -100 },
      { fromMs: at(10, 30), toMs: at(11, 0), targetKw: -150.5 },
      { fromMs: at(11, 0), toMs: at(12, 0), targetKw: 0 },
    ]);
  });

  it('runs past midnight when a time is earlier than the one before', () => {
    const r = resolveSchedule(
      [
        { start: '23:00', target: '-50' },
        { start: '01:00', target: '-60' },
      ],
      '02:00',
      opts,
    );
    expect(r.packages).toEqual([
      { fromMs: at(23, 0), toMs: at(1, 0, 1), targetKw: -50 },
      { fromMs: at(1, 0, 1), toMs: at(2, 0, 1), targetKw: -60 },
    ]);
    expect(r.rows.map((x) => x.dayOffset)).toEqual([0, 1]);
  });

  it('refuses each bad row at the row, with its reason', () => {
    const r = resolveSchedule(
      [
        { start: '9', target: '-100' },
        { start: '10:00', target: '' },
        { start: '10:00', target: '1.500' },
        { start: '11:00', target: 'abc' },
        { start: '12:00', target: '-700' },
        { start: '13:00', target: '20' },
        { start: '2026-06-20 10:00', target: '-10' },
      ],
      '14:00',
      opts,
    );
    expect(r.rows.map((x) => x.problems)).toEqual([['time'], ['target-missing'], ['not-after-previous', 'target-ambiguous'], ['target-not-a-number'], ['limit'], ['export-sign'], ['past']]);
    expect(r.packages).toBeNull();
    expect(resolveSchedule([{ start: '10:00', target: '-5' }], '', { ...opts, useCase: 3 }).rows[0]!.problems).toEqual(['import-sign']);
  });

  it('needs an end after the last start, and at least one row', () => {
    expect(resolveSchedule([{ start: '10:00', target: '-5' }], '', opts).endProblems).toEqual(['missing']);
    expect(resolveSchedule([{ start: '10:00', target: '-5' }], 'later', opts).endProblems).toEqual(['time']);
    expect(resolveSchedule([{ start: '10:00', target: '-5' }], '10:00', opts).endProblems).toEqual(['not-after-last']);
    expect(resolveSchedule([{ start: '10:00', target: '-5' }], '2026-06-21 09:30', opts).endProblems).toEqual(['not-after-last']);
    expect(resolveSchedule([{ start: '10:00', target: '-5' }], '2026-07-21 09:30', opts).endProblems).toEqual(['too-long']);
    expect(resolveSchedule([], '10:00', opts).problems).toEqual(['empty']);
  });
});

describe('parseSchedulePaste', () => {
  it('reads tab-separated rows from Excel with a header, a German decimal comma and an end row', () => {
    expect(parseSchedulePaste('Start\tkW\r\n14:00\t-120,5\r\n15:30\t-80\r\n17:00\t\r\n')).toEqual({
      rows: [
        { start: '14:00', target: '-120,5' },
        { start: '15:30', target: '-80' },
      ],
      end: '17:00',
      skipped: 1,
    });
  });
  it('reads semicolon-separated rows (a German CSV), quoted cells and a date in its own cell', () => {
    expect(parseSchedulePaste('"21.06.2026";"14:00";"-1,5"\n21.06.2026;15:00;-2')).toEqual({
      rows: [
        { start: '21.06.2026 14:00', target: '-1,5' },
        { start: '21.06.2026 15:00', target: '-2' },
      ],
      end: null,
      skipped: 0,
    });
  });
  it('takes a line of two cells split by spaces, never commas', () => {
    expect(parseSchedulePaste('14:00 -100\n15:00  -90').rows).toEqual([
      { start: '14:00', target: '-100' },
      { start: '15:00', target: '-90' },
    ]);
    expect(parseSchedulePaste('14:00,-120,5').rows).toEqual([]);
  });
});

describe('the setpoint store’s schedule editor (against a fake bridge)', () => {
  const okR = <T>(value: T): Promise<IpcResult<T>> => Promise.resolve({ ok: true, value });
  const check = (verdict: TriggerCheck['verdict'], requiredKw: number): TriggerCheck => ({ errors: [], verdict, requiredKw, band: { downKw: -300, upKw: 100 }, uncontrolledKw: -50, connectionLimitKw: 630, message: '' });
  function bridge(calls: Array<[string, unknown[]]>): LfcApi {
    return new Proxy({} as LfcApi, {
      get: (_t, channel: string) =>
        (...args: unknown[]) => {
          calls.push([channel, args]);
          if (channel === 'core:checkTrigger') {
            const req = args[0] as TriggerRequest;
            // The whole schedule is tight; alone, the −400 kW row is not feasible.
            return okR(req.schedule!.length > 1 ? check('tight', -350) : check(req.schedule![0]!.targetKw < -300 ? 'infeasible' : 'feasible', req.schedule![0]!.targetKw + 50));
          }
          if (channel === 'core:sendTrigger') return okR({ accepted: true, triggerId: 'OP-009' });
          return okR(null);
        },
    });
  }
  beforeEach(() => {
    setActivePinia(createPinia());
  });

  it('takes pasted rows, previews the whole and each row, and sends the packages after review', async () => {
    const calls: Array<[string, unknown[]]> = [];
    setBridge(bridge(calls));
    const sp = useSetpointStore();
    sp.draft.useCase = 4;
    expect(sp.pasteRows('Beginn;kW\n10:00;-100\n11:00;-400\n12:00;')).toBe(2);
    expect(sp.scheduleEnd).toBe('12:00');
    const preview = await sp.previewSchedule(NOW, 630, ROME);
    expect(preview?.whole.verdict).toBe('tight');
    expect(preview?.rows.map((r) => r?.verdict)).toEqual(['feasible', 'infeasible']);
    expect(calls.filter((c) => c[0] === 'core:sendTrigger')).toEqual([]); // a preview sends nothing

    expect(await sp.review(NOW, 630, ROME)).toBe(true);
    expect(await sp.confirm()).toBe(true);
    const sent = calls.find((c) => c[0] === 'core:sendTrigger')![1][0] as TriggerRequest;
    expect(sent).toEqual({
      useCase: 4,
      toleranceKw: 10,
      durationS: (at(12, 0) - NOW) / 1000,
      schedule: [
        { fromMs: at(10, 0), toMs: at(11, 0), targetKw: -100 },
        { fromMs: at(11, 0), toMs: at(12, 0), targetKw: -400 },
      ],
    });
  });

  it('stops at a bad row without asking the core, and shows the problems from then on', async () => {
    const calls: Array<[string, unknown[]]> = [];
    setBridge(bridge(calls));
    const sp = useSetpointStore();
    sp.draft.useCase = 3;
    sp.scheduleRows = [{ start: '10:00', target: '-5' }];
    sp.scheduleEnd = '11:00';
    expect(sp.rowsChecked).toBe(false);
    expect(await sp.previewSchedule(NOW, 630, ROME)).toBeNull();
    expect(await sp.review(NOW, 630, ROME)).toBe(false);
    expect(sp.rowsChecked).toBe(true);
    expect(calls).toEqual([]);
    expect(sp.phase).toBe('edit');
  });

  it('pastes into a row: the rows from there on are replaced, blank rows before it dropped', () => {
    setBridge(bridge([]));
    const sp = useSetpointStore();
    sp.scheduleRows = [{ start: '09:30', target: '-1' }, { start: '', target: '' }, { start: 'x', target: 'y' }];
    expect(sp.pasteRows('10:00\t-2\n11:00\t-3', 2)).toBe(2);
    expect(sp.scheduleRows).toEqual([{ start: '09:30', target: '-1' }, { start: '10:00', target: '-2' }, { start: '11:00', target: '-3' }]);
    expect(sp.pasteRows('no rows here', 0)).toBe(0);
    sp.removeRow(0);
    sp.removeRow(0);
    sp.removeRow(0);
    expect(sp.scheduleRows).toEqual([{ start: '', target: '' }]);
  });
});
