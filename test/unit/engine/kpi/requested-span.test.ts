import { describe, expect, it } from 'vitest';
import { naturalRequestedEnd, requestedSpan } from '../../../../src-main/engine/kpi/index.js';
import type { RequestedSpanInputs } from '../../../../src-main/engine/kpi/index.js';

const T0 = Date.parse('2026-03-10T08:00:00Z');
const H = 3_600_000;

type Over = Partial<Omit<RequestedSpanInputs, 'trigger'>> & { trigger?: Partial<RequestedSpanInputs['trigger']> };
const inputs = (over: Over = {}): RequestedSpanInputs => ({
  endReason: null,
  runEndMs: null,
  nextTriggerStartMs: null,
  recordingEndMs: null,
  ...over,
  trigger: { startMs: T0, durationS: null, useCase: 2, schedule: null, ...over.trigger },
});

describe('requestedSpan (KPI.md, "The requested span")', () => {
  it('a duration is the request, whatever the run did', () => {
    for (const endReason of ['duration-elapsed', 'flex-exhausted', 'fault'] as const) {
      expect(requestedSpan(inputs({ trigger: { durationS: 7200 }, endReason, runEndMs: T0 + H }))).toEqual({ startMs: T0, endMs: T0 + 2 * H, basis: 'duration' });
    }
  });

  it('use case 3/4 without a duration: the end of the last package', () => {
    const schedule = [{ fromMs: T0, toMs: T0 + H, targetKw: 50 }, { fromMs: T0 + H, toMs: T0 + 3 * H, targetKw: 80 }];
    expect(naturalRequestedEnd({ startMs: T0, durationS: null, useCase: 3, schedule })).toEqual({ endMs: T0 + 3 * H, basis: 'schedule' });
    expect(requestedSpan(inputs({ trigger: { useCase: 4, schedule } })).basis).toBe('schedule');
  });

  it('open-ended: the next trigger, else the recording end, else not known yet', () => {
    const exhausted = { endReason: 'flex-exhausted' as const, runEndMs: T0 + H };
    expect(requestedSpan(inputs({ ...exhausted, nextTriggerStartMs: T0 + 5 * H }))).toEqual({ startMs: T0, endMs: T0 + 5 * H, basis: 'next-trigger' });
    expect(requestedSpan(inputs({ ...exhausted, recordingEndMs: T0 + 9 * H }))).toEqual({ startMs: T0, endMs: T0 + 9 * H, basis: 'recording-end' });
    expect(requestedSpan(inputs(exhausted))).toEqual({ startMs: T0, endMs: null, basis: null });
    // The run superseded an open request: that is the next trigger.
    expect(requestedSpan(inputs({ endReason: 'superseded', runEndMs: T0 + 2 * H }))).toEqual({ startMs: T0, endMs: T0 + 2 * H, basis: 'next-trigger' });
  });

  it('a withdrawn request is cut where it was withdrawn', () => {
    expect(requestedSpan(inputs({ trigger: { durationS: 7200 }, endReason: 'superseded', runEndMs: T0 + H }))).toEqual({ startMs: T0, endMs: T0 + H, basis: 'superseded' });
    expect(requestedSpan(inputs({ trigger: { durationS: 7200 }, endReason: 'operator-stop', runEndMs: T0 + H / 2 }))).toEqual({ startMs: T0, endMs: T0 + H / 2, basis: 'operator-stop' });
    expect(requestedSpan(inputs({ endReason: 'operator-stop', runEndMs: T0 + H }))).toEqual({ startMs: T0, endMs: T0 + H, basis: 'operator-stop' });
  });

  it('a run that ended early and is withdrawn later gets the span it would have had in force (same for every controller)', () => {
    const exhausted = { endReason: 'flex-exhausted' as const, runEndMs: T0 + H };
    // Open-ended, then a stop: the operator withdrew it, exactly as for a run still in force.
    expect(requestedSpan(inputs({ ...exhausted, nextTriggerStartMs: T0 + 3 * H, nextTriggerIsStop: true }))).toEqual({ startMs: T0, endMs: T0 + 3 * H, basis: 'operator-stop' });
    expect(requestedSpan(inputs({ endReason: 'operator-stop', runEndMs: T0 + 3 * H }))).toEqual({ startMs: T0, endMs: T0 + 3 * H, basis: 'operator-stop' });
    // With a duration: a new request (or a stop) before its end cuts it; one after its end does not.
    expect(requestedSpan(inputs({ trigger: { durationS: 4 * 3600 }, ...exhausted, nextTriggerStartMs: T0 + 2 * H }))).toEqual({ startMs: T0, endMs: T0 + 2 * H, basis: 'superseded' });
    expect(requestedSpan(inputs({ trigger: { durationS: 4 * 3600 }, ...exhausted, nextTriggerStartMs: T0 + 2 * H, nextTriggerIsStop: true }))).toEqual({ startMs: T0, endMs: T0 + 2 * H, basis: 'operator-stop' });
    expect(requestedSpan(inputs({ trigger: { durationS: 4 * 3600 }, ...exhausted, nextTriggerStartMs: T0 + 5 * H }))).toEqual({ startMs: T0, endMs: T0 + 4 * H, basis: 'duration' });
  });

  it('the recording end cuts every request, and a span is never negative', () => {
    expect(requestedSpan(inputs({ trigger: { durationS: 7200 }, recordingEndMs: T0 + H }))).toEqual({ startMs: T0, endMs: T0 + H, basis: 'recording-end' });
    expect(requestedSpan(inputs({ trigger: { durationS: 7200 }, recordingEndMs: T0 - H }))).toEqual({ startMs: T0, endMs: T0, basis: 'recording-end' });
  });
});
