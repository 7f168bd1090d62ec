import { describe, expect, it } from 'vitest';
import type { ScenarioEvent } from '../../../src-main/engine/scenario/index.js';
import { eventInForceAt } from '../../../src-main/lab/carry-in.js';

const at = (hhmm: string) => `2026-06-22T${hhmm}:00+02:00`;
const ms = (hhmm: string) => Date.parse(at(hhmm));
const iso = (hhmm: string) => new Date(ms(hhmm)).toISOString();

describe('eventInForceAt: the request re-sent at a lab window start', () => {
  const hold: ScenarioEvent = { at: at('10:15'), useCase: 2, targetKw: -80, durationS: 12_600, toleranceKw: 10 };

  it('re-sends a fixed target with what is left of its duration', () => {
    expect(eventInForceAt([hold], ms('12:19'))).toEqual({ index: 0, event: { ...hold, at: iso('12:19'), durationS: 12_600 - 124 * 60 } });
  });

  it('sends nothing before the first event, after the request is over, or after a stop', () => {
    expect(eventInForceAt([hold], ms('10:15'))).toBeNull();
    expect(eventInForceAt([hold], ms('13:45'))).toBeNull();
    const stop: ScenarioEvent = { at: at('11:00'), useCase: 0 };
    expect(eventInForceAt([hold, stop], ms('11:30'))).toBeNull();
  });

  it('takes the latest event: a later request supersedes an earlier one', () => {
    const island: ScenarioEvent = { at: at('11:00'), useCase: 1, toleranceKw: 5 };
    expect(eventInForceAt([hold, island], ms('11:30'))).toEqual({ index: 1, event: { ...island, at: iso('11:30') } });
  });

  it('counts the duration from startAt, and re-sends an announced request unchanged', () => {
    const announced: ScenarioEvent = { at: at('10:00'), startAt: at('11:00'), useCase: 2, targetKw: 50, durationS: 3600, toleranceKw: 10 };
    expect(eventInForceAt([announced], ms('10:30'))).toEqual({ index: 0, event: { ...announced, at: iso('10:30') } });
    const running = eventInForceAt([announced], ms('11:30'))!.event;
    expect(running).toEqual({ at: iso('11:30'), useCase: 2, targetKw: 50, durationS: 1800, toleranceKw: 10 });
    expect('startAt' in running).toBe(false);
    expect(eventInForceAt([announced], ms('12:00'))).toBeNull();
  });

  it('keeps the packages not yet over, the current one from the window start', () => {
    const packages: ScenarioEvent = {
      at: at('09:00'),
      useCase: 4,
      toleranceKw: 10,
      schedule: [
        { from: at('09:00'), to: at('10:00'), targetKw: -50 },
        { from: at('10:00'), to: at('11:00'), targetKw: -100 },
        { from: at('11:00'), to: at('12:00'), targetKw: -60 },
      ],
    };
    const e = eventInForceAt([packages], ms('10:30'))!.event;
    expect(e.useCase === 4 && e.schedule).toEqual([
      { from: iso('10:30'), to: at('11:00'), targetKw: -100 },
      { from: at('11:00'), to: at('12:00'), targetKw: -60 },
    ]);
    expect(eventInForceAt([packages], ms('12:00'))).toBeNull();
  });
});
