/**
 * What the console sees of a live engine, built the same way whichever session runs it (the bundled
 * simulator or the field EMS): the `LiveState` picture, the operator's trigger (stamped and checked), and
 * the feasibility check before it is sent. The session supplies what only it knows (its source, its clock's
 * span, outdoor temperature, when each asset last reported, its connections).
 */
import type { Engine, RunRecord } from '../engine/engine';
import type { SeriesPoint } from '../storage/history-store';
import { SERIES } from './series';
import { heatPumpBand, storageBand } from '../engine/flexibility';
import { exhaustionCountdown } from '../engine/kpi';
import type { Trigger } from '../engine/model';
import type { AssetRow, ConnectionHealth, LivePoint, LiveSource, LiveState, SpeedSetting, StoredEventDto, TriggerCheck, TriggerRequest } from '../shared/ipc-contract';
import { checkTrigger, liveKpis } from './live-logic';
import { buildTrigger } from '../engine/trigger/trigger';

export const OPERATOR_SOURCE = 'operator:console';

export interface LiveStateParts {
  status: LiveState['status'];
  source: LiveSource;
  sessionId: string;
  speed: SpeedSetting;
  startMs: number;
  endMs: number;
  timezone: string;
  /** Outdoor temperature for the heat pumps' bands (null: unknown, no band). */
  outdoorC: number | null;
  lastReportMs: ReadonlyMap<string, number>;
  recent: readonly LivePoint[];
  recentWindowMs: number;
  recentEvents: readonly StoredEventDto[];
  connections: ConnectionHealth[];
}

export function liveStateOf(engine: Engine, p: LiveStateParts): LiveState {
  const snap = engine.snapshot();
  const now = snap.nowMs;
  const activeRun = engine.activeRun;
  const horizonS = snap.run?.plannedEndMs ? Math.max(10, (snap.run.plannedEndMs - now) / 1000) : 3600;
  const bandOf = (id: string, kind: AssetRow['kind'], socPct: number | undefined, indoorC: number | undefined): AssetRow['band'] => {
    const c = engine.config;
    if (kind === 'bess' || kind === 'householdStorage') {
      const s = kind === 'bess' ? c.bess : c.households.find((h) => h.id === id);
      if (!s || socPct === undefined) return null;
      return storageBand(s.powerKw, s.energyKwh, socPct, s.socMinPct, s.socMaxPct, s.roundTripEfficiency, horizonS);
    }
    const h = c.heatPumps.find((x) => x.id === id);
    return h && indoorC !== undefined && p.outdoorC !== null ? heatPumpBand(h, indoorC, p.outdoorC, horizonS) : null;
  };
  return {
    status: p.status,
    source: p.source,
    sessionId: p.sessionId,
    speed: p.speed,
    nowMs: now,
    startMs: p.startMs,
    endMs: p.endMs,
    timezone: p.timezone,
    connectionLimitKw: engine.config.connectionLimitKw,
    breaker: {
      measuredKw: snap.breaker.lastPowerKw !== null && Number.isFinite(snap.breaker.lastPowerKw) ? snap.breaker.lastPowerKw : null,
      sampleMs: snap.breaker.lastSampleMs,
      stale: snap.breaker.stale,
      safeState: snap.breaker.safeState,
      targetKw: engine.targetKwAt(now),
    },
    run:
      snap.run && activeRun
        ? {
            runId: snap.run.runId,
            useCase: snap.run.useCase,
            startMs: snap.run.startMs,
            plannedEndMs: snap.run.plannedEndMs,
            targetKw: snap.run.targetKw,
            toleranceKw: snap.run.toleranceKw,
            predictedExhaustionAtMs: snap.run.predictedExhaustionAtMs,
            exhaustion: exhaustionCountdown(activeRun.exhaustionPredictions, now),
            band: snap.run.band,
            inExhaustion: snap.run.inExhaustion,
            kpis: liveKpis(activeRun, now, engine.config.breakerPeriodS, engine.safety.settleAllowanceS),
          }
        : null,
    pendingTrigger: snap.pendingTrigger,
    forecastMissing: snap.forecastMissing,
    assets: snap.assets.map((a) => ({
      id: a.id,
      kind: a.kind,
      powerKw: a.powerKw,
      setpointKw: a.setpointKw,
      socPct: a.socPct ?? null,
      indoorC: a.indoorC ?? null,
      link: a.link,
      lastReportMs: p.lastReportMs.get(a.id) ?? null,
      band: bandOf(a.id, a.kind, a.socPct, a.indoorC),
    })),
    recent: p.recent.slice(),
    recentWindowMs: p.recentWindowMs,
    recentEvents: p.recentEvents.slice(),
    connections: p.connections,
  };
}

/** The engine's verdict on an operator's trigger before it is sent: limits, band, energy. */
export function checkOperatorTrigger(engine: Engine, req: TriggerRequest): TriggerCheck {
  const snap = engine.snapshot();
  const now = snap.nowMs;
  const controllableKw = snap.assets.reduce((sum, a) => sum + a.powerKw, 0);
  const durationS = req.durationS ?? (req.schedule && req.schedule.length > 0 ? Math.max(...req.schedule.map((p) => p.toMs)) / 1000 - now / 1000 : null);
  // The engine's own band for a run of this duration starting now (its communityBand reads only these fields).
  const band = engine.communityBand({ trigger: { durationS: durationS !== null && durationS > 0 ? durationS : null }, startMs: now } as RunRecord, now);
  return checkTrigger(req, {
    connectionLimitKw: engine.config.connectionLimitKw,
    breakerKw: snap.breaker.stale ? null : snap.breaker.lastPowerKw,
    controllableKw,
    band,
    nowMs: now,
  });
}

/** An operator's trigger as the engine receives it, stamped with the session's time (the engine's one builder). */
export function operatorTrigger(req: TriggerRequest, seq: number, nowMs: number): Trigger {
  return buildTrigger({ ...req, targetKw: req.useCase === 2 ? req.targetKw : null }, { id: `OP-${String(seq).padStart(3, '0')}`, source: OPERATOR_SOURCE, receivedMs: nowMs });
}

/**
 * What every live session records of one breaker sample, whatever its plant: the measured and target power,
 * the tolerance and the engine's band (during a run). `measuredKw` is NaN for a missing or bad sample.
 */
export function breakerPoints(engine: Engine, sampleMs: number, measuredKw: number, into: SeriesPoint[]): number | null {
  const target = engine.targetKwAt(sampleMs);
  const run = engine.activeRun;
  const band = run ? engine.communityBand(run, sampleMs) : null;
  into.push(
    { seriesId: SERIES.breakerMeasured, timeMs: sampleMs, value: measuredKw },
    { seriesId: SERIES.breakerTarget, timeMs: sampleMs, value: target ?? NaN },
    { seriesId: SERIES.breakerTolerance, timeMs: sampleMs, value: run ? run.trigger.toleranceKw : NaN },
    { seriesId: SERIES.flexDown, timeMs: sampleMs, value: band ? band.downKw : NaN },
    { seriesId: SERIES.flexUp, timeMs: sampleMs, value: band ? band.upKw : NaN },
  );
  return target;
}

/**
 * What every field session records of its assets at one breaker sample: the BESS (power, setpoint, SoC) at every
 * sample, the other members (power, SoC, indoor temperature) only when `members` is true (their own, slower period).
 */
export function assetPoints(engine: Engine, sampleMs: number, members: boolean, into: SeriesPoint[]): void {
  for (const a of engine.snapshot().assets) {
    if (a.kind !== 'bess' && !members) continue;
    into.push({ seriesId: `${a.id}.powerKw`, timeMs: sampleMs, value: a.powerKw });
    if (a.kind === 'bess') into.push({ seriesId: `${a.id}.setpointKw`, timeMs: sampleMs, value: a.setpointKw ?? NaN });
    if (a.socPct !== undefined) into.push({ seriesId: `${a.id}.socPct`, timeMs: sampleMs, value: a.socPct });
    if (a.indoorC !== undefined) into.push({ seriesId: `${a.id}.indoorC`, timeMs: sampleMs, value: a.indoorC });
  }
}

/** Appends a point to the Now chart's window and drops what fell out of it (oldest first). */
export function keepRecent(recent: LivePoint[], point: LivePoint, windowMs: number): void {
  recent.push(point);
  const cutoff = point.timeMs - windowMs;
  let drop = 0;
  while (drop < recent.length && recent[drop]!.timeMs < cutoff) drop++;
  if (drop > 0) recent.splice(0, drop);
}

/** An event as the history stores it (optional fields only when present). */
export function eventDto(e: { timeMs: number; type: string; level: StoredEventDto['level']; message: string; runId?: string | null; assetId?: string; data?: Record<string, unknown> }): StoredEventDto {
  const dto: StoredEventDto = { timeMs: e.timeMs, type: e.type, level: e.level, message: e.message };
  if (e.runId !== undefined) dto.runId = e.runId;
  if (e.assetId !== undefined) dto.assetId = e.assetId;
  if (e.data !== undefined) dto.data = e.data;
  return dto;
}

/** Keeps the newest events first, at most 20 (the Now view's list). */
export function keepRecentEvent(recentEvents: StoredEventDto[], dto: StoredEventDto): void {
  recentEvents.unshift(dto);
  if (recentEvents.length > 20) recentEvents.length = 20;
}
