/**
 * The 15-minute slot dispatcher: what the household storages, heat pumps and curtailable PV do for the next
 * slot — by the planner's optimal plan when there is one, by the controller's fair share otherwise — and,
 * before an announced request starts, how the BESS prepares for it.
 *
 * It owns the planner and the plan in force, the solve times, when it last dispatched, the drift watch (the
 * BESS's mean departure from the plan, which re-plans early), and the curtailment in force (the plan's, and
 * the last-resort one of a shortage). It dispatches at each slot, at a trigger, at a run's start, on drift
 * and in a shortage (`dispatch(reason)`); the BESS counters each dispatch through the loop's feed-forward,
 * and the recorder keeps its exhaustion forecast and energy check.
 */
import type { Controller, DispatchDecision } from '../controllers.js';
import type { Trigger } from '../model.js';
import type { DispatchPlan, HeatPumpFleetInput, StorageFleetInput } from '../optimiser/types.js';
import type { Planner, PlanResult, SlotTarget } from '../planner.js';
import { planSlotAt } from '../planner.js';
import { targetOfTrigger } from '../trigger/trigger.js';
import type { AssetBook } from './asset-book.js';
import type { BessLoop } from './bess-loop.js';
import type { BreakerGuard } from './breaker-guard.js';
import type { CommandChannel } from './command-channel.js';
import type { RunRecorder } from './run-recorder.js';
import type { EngineContext, PlanView, RunRecord } from './types.js';
import { iso } from './types.js';

/** What the dispatcher asks of the run lifecycle. */
export interface SlotDispatcherDeps {
  run(): RunRecord | null;
  /** The announced trigger not yet started, or null. */
  pendingTrigger(): Trigger | null;
  /** Everything the EMS dispatched goes back to its own control. */
  releaseAll(why: string): void;
}

export class SlotDispatcher {
  readonly planner: Planner | null;
  /** Solve times of every plan (wall-clock, from the solver's host): kept out of every output file. */
  readonly planSolveTimesMs: number[] = [];
  lastDispatchMs = -Infinity;
  private currentPlan: PlanResult | null = null;
  private currentPlanIssuedMs = -Infinity;
  /** Mean (5-minute EMA) of the BESS power minus the plan's, for the drift re-plan. */
  private bessEmaKw = 0;
  private lastPrepWriteMs = -Infinity;
  private readonly curtailed = new Set<string>();
  private emergencyCurtailUntilMs = -Infinity;

  constructor(
    private readonly ctx: EngineContext,
    private readonly controller: Controller,
    private readonly book: AssetBook,
    private readonly channel: CommandChannel,
    private readonly loop: BessLoop,
    private readonly recorder: RunRecorder,
    private readonly guard: BreakerGuard,
    private readonly deps: SlotDispatcherDeps,
  ) {
    this.planner = ctx.config.planner ?? null;
  }

  /** The plan in force, or null. */
  get plan(): DispatchPlan | null {
    return this.currentPlan?.plan ?? null;
  }

  get hasPlan(): boolean {
    return this.currentPlan !== null;
  }

  /** The plan in force (copies: the console and the history may keep them), or null. */
  planView(): PlanView | null {
    const r = this.currentPlan;
    if (!r) return null;
    const p = r.plan;
    return {
      issuedMs: this.currentPlanIssuedMs,
      startMs: p.startMs,
      stepS: p.stepS,
      residualKw: Array.from(r.residualKw),
      breakerKw: Array.from(p.breakerKw),
      bessKw: Array.from(p.bessKw),
      curtailmentKw: Array.from(p.curtailmentKw),
      predictedExhaustionAtMs: p.predictedExhaustionAtMs,
    };
  }

  /** A superseded run hands the devices over without a release; its control state does not carry over. */
  forgetRunControl(): void {
    this.emergencyCurtailUntilMs = -Infinity;
    this.currentPlan = null;
  }

  /** Releases every curtailment and forgets the plan (part of the engine's release of everything). */
  releaseControl(why: string): void {
    const now = this.ctx.clock.nowMs();
    for (const id of this.curtailed) this.channel.write(id, null, now, `release (${why})`);
    this.curtailed.clear();
    this.emergencyCurtailUntilMs = -Infinity;
    this.currentPlan = null;
  }

  /** At a slot boundary: dispatch, unless this slot already had its dispatch (a run that started at its boundary). */
  onSlot(slotMs: number): void {
    if (Math.floor(this.lastDispatchMs / slotMs) !== Math.floor(this.ctx.clock.nowMs() / slotMs)) this.dispatch();
  }

  /**
   * The slow loop: at each slot (and at a trigger, a run's start, or when the BESS drifts from the plan),
   * decide the household storages', heat pumps' and curtailable PV's setpoints for the next slot — by the
   * planner's optimal plan when there is one, by fair share otherwise — and, before an announced request
   * starts, let the BESS prepare by the plan too.
   */
  dispatch(reason = 'slot'): void {
    const run = this.deps.run();
    const pending = this.deps.pendingTrigger();
    const now = this.ctx.clock.nowMs();
    if (!this.guard.controlling) return;
    const preparing = !run && pending !== null && this.planner !== null && pending.useCase !== 0;
    if (!run && !preparing) return;
    this.lastDispatchMs = now;
    const bessMeanKw = this.book.takeBessMeanKw(now);

    let decision: DispatchDecision | null = null;
    let planned: { slot: number; result: PlanResult } | null = null;
    if (this.planner && this.controller.name !== 'deadbeat') {
      planned = this.makePlan(now, reason);
      if (planned) decision = this.decisionFromPlan(planned.result, planned.slot);
    }
    if (!decision) {
      if (!run) {
        // No plan for the preparation: nothing that was prepared stays in force unconfirmed.
        if (this.currentPlan) this.deps.releaseAll('no plan for the preparation');
        return;
      }
      // Fair share curtails nothing: an earlier plan's curtailment ends (a last-resort one at its window's end).
      if (now >= this.emergencyCurtailUntilMs) {
        for (const id of this.curtailed) this.channel.write(id, null, now, 'curtailment release');
        this.curtailed.clear();
      }
      const book = this.book;
      decision = this.controller.dispatch({
        bessMeanKw,
        bess: book.storageMember(book.bess),
        households: [...book.households.values()].map((h) => book.storageMember(h)),
        heatPumps: [...book.heatPumps.values()].map((h) => book.heatPumpMember(h, now)),
        periodS: this.ctx.config.dispatchPeriodS,
      });
    }
    const expectedChangeKw = this.applyDecision(decision, now);
    if (planned) this.applyCurtailment(planned.result, planned.slot, now);
    if (run) this.loop.feedForward(run, -expectedChangeKw);
    else this.prepareBess(now);
    if (decision.householdKw.size > 0 || decision.heatPumpOn.size > 0 || planned) {
      const households = [...decision.householdKw.values()].reduce((a, b) => a + b, 0);
      const on = [...decision.heatPumpOn.values()].filter((x) => x).length;
      const off = decision.heatPumpOn.size - on;
      this.ctx.emit('dispatch', 'info', `dispatch (${reason}${planned ? ', optimal plan' : ', fair share'}): households ${households.toFixed(1)} kW, heat pumps ${on} on / ${off} off, BESS plan ${decision.bessShareKw.toFixed(1)} kW`, {
        reason,
        method: planned ? 'plan' : 'fair-share',
        bessMeanKw,
        bessShareKw: decision.bessShareKw,
        expectedChangeKw,
        householdSumKw: households,
        heatPumpsOn: on,
        heatPumpsOff: off,
        ...(planned
          ? {
              predictedExhaustionAt: planned.result.plan.predictedExhaustionAtMs === null ? null : iso(planned.result.plan.predictedExhaustionAtMs),
              curtailmentKw: planned.result.plan.curtailmentKw[planned.slot] ?? 0,
              lpVariables: planned.result.plan.lpSize.variables,
            }
          : {}),
      });
    }
    if (run) {
      if (planned) this.recorder.recordPrediction(run, now, planned.result.plan.predictedExhaustionAtMs);
      else this.recorder.predictExhaustion(run, now, bessMeanKw);
      this.recorder.checkEnergy(run, now, planned?.result ?? null);
    } else if (planned && pending) {
      this.recorder.recordPreparedPrediction(pending, now, planned.result.plan.predictedExhaustionAtMs);
    }
  }

  /** Writes a dispatch decision; returns the change at the breaker it is expected to make. */
  private applyDecision(decision: DispatchDecision, now: number): number {
    const ttlMs = 2 * this.ctx.config.dispatchPeriodS * 1000;
    const book = this.book;
    let expectedChangeKw = 0;
    for (const [id, h] of book.households) {
      const kw = decision.householdKw.get(id);
      const beforeKw = book.householdPowerEstimateKw(h, now);
      expectedChangeKw += (kw ?? h.powerKw) - beforeKw;
      if (kw !== undefined) {
        this.channel.write(id, kw, now + Math.min(ttlMs, h.config.setpointTtlS * 1000), 'dispatch');
      } else if (h.setpointKw !== null || h.link.lost) {
        // A lost asset gets a release as a probe each slot, so that it can come back.
        this.channel.write(id, null, now, h.link.lost ? 'probe' : 'dispatch release');
      }
    }
    for (const [id, h] of book.heatPumps) {
      const on = decision.heatPumpOn.get(id);
      const wasOn = h.dispatchedOn ?? h.on;
      const willBeOn = on ?? book.releasedHeatPumpOn(h, this.ctx.clock.nowMs());
      if (willBeOn !== wasOn) {
        // A unit inside its minimum on/off time switches only when that ends: countered then, not now.
        const lockEndMs = h.switchedAtMs + (wasOn ? h.config.minOnS : h.config.minOffS) * 1000;
        if (on !== undefined && lockEndMs > now + this.ctx.config.breakerPeriodS * 1000) this.loop.scheduleLockedSwitch(h, lockEndMs, on);
        else expectedChangeKw += willBeOn ? h.config.powerKw : -h.config.powerKw;
      }
      if (on !== undefined) this.channel.write(id, on ? h.config.powerKw : 0, now + ttlMs, 'dispatch');
      else if (h.dispatchedOn !== null || h.link.lost) this.channel.write(id, null, now, h.link.lost ? 'probe' : 'dispatch release');
    }
    return expectedChangeKw;
  }

  // ---------------------------------------------------------------- the planner

  /** What the planner must hold: the run in force and an announced one, each with its target over time. */
  private planTargets(now: number): { endMs: number; target: (t: number) => SlotTarget | null } {
    const lookAheadMs = 3_600_000;
    const openMs = this.ctx.safety.openRunHorizonS * 1000;
    const run = this.deps.run();
    const pending = this.deps.pendingTrigger();
    const lastPackageEndMs = (t: Trigger): number => Math.max(-Infinity, ...(t.schedule ?? []).map((p) => p.toMs));
    const runEndMs = run ? (run.trigger.durationS !== null ? run.startMs + run.trigger.durationS * 1000 : Math.max(now + openMs, lastPackageEndMs(run.trigger))) : -Infinity;
    const pendingStartMs = pending ? pending.startMs : Infinity;
    const pendingEndMs = pending ? (pending.durationS !== null ? pendingStartMs + pending.durationS * 1000 : Math.max(pendingStartMs + openMs, lastPackageEndMs(pending))) : -Infinity;
    const endMs = Math.max(runEndMs, pendingEndMs) + lookAheadMs;
    return {
      endMs,
      target: (t) => {
        if (pending && pending.useCase !== 0 && t >= pendingStartMs && t < pendingEndMs) return targetOfTrigger(pending, t);
        if (run && t >= run.startMs && t < runEndMs && t < pendingStartMs) return targetOfTrigger(run.trigger, t);
        return null;
      },
    };
  }

  private makePlan(now: number, reason: string): { slot: number; result: PlanResult } | null {
    const planner = this.planner!;
    const book = this.book;
    const { endMs, target } = this.planTargets(now);
    const households = new Map<string, StorageFleetInput>();
    for (const [id, h] of book.households) {
      const fleet = fleetOf(id, this.ctx.config.households.find((c) => c.id === id)?.fleetId);
      if (!households.has(fleet)) households.set(fleet, { id: fleet, members: [] });
      households.get(fleet)!.members.push(book.storageUnit(h, now));
    }
    const heatPumps = new Map<string, HeatPumpFleetInput>();
    for (const [id, h] of book.heatPumps) {
      const fleet = fleetOf(id, h.config.fleetId);
      if (!heatPumps.has(fleet)) heatPumps.set(fleet, { id: fleet, members: [] });
      const c = h.config;
      const { dispatchedOn: _inForce, ...member } = book.heatPumpMember(h, now);
      heatPumps.get(fleet)!.members.push({
        ...member,
        cop: c.cop,
        capacityKwhPerK: c.capacityKwhPerK,
        lossKwPerK: c.lossKwPerK,
        // Finite for the LP's arithmetic; a unit that cannot take a write is not planned.
        msSinceSwitch: Math.min(1e12, member.msSinceSwitch),
        available: member.available && !h.link.rejecting,
      });
    }
    let result: PlanResult;
    try {
      result = planner.plan({
        nowMs: now,
        horizonEndMs: endMs,
        target,
        bess: book.storageUnit(book.bess, now),
        households: [...households.values()],
        heatPumps: [...heatPumps.values()],
        connectionLimitKw: this.ctx.config.connectionLimitKw,
        // Power kept free for the fast loop's corrections of the forecast error.
        bessReserveKw: 0.1 * book.bess.config.powerKw,
        // In a shortage the last seconds tell the slot under way better than any longer mean.
        ...(reason === 'shortage' ? { nowcastWindowMs: 20_000 } : {}),
      });
    } catch (err) {
      this.ctx.emit('plan-failed', 'warning', `planning failed (${reason}): ${err instanceof Error ? err.message : String(err)}; fair share instead`, {});
      return null;
    }
    if (result.plan.solveTimeMs !== null) this.planSolveTimesMs.push(result.plan.solveTimeMs);
    if (result.plan.status !== 'optimal') {
      this.ctx.emit('plan-failed', 'warning', `planning failed (${reason}): ${result.plan.message ?? 'no optimal plan'}; fair share instead`, {});
      return null;
    }
    const slot = planSlotAt(result.plan, now);
    if (slot < 0) return null;
    this.currentPlan = result;
    this.currentPlanIssuedMs = now;
    return { slot, result };
  }

  private decisionFromPlan(result: PlanResult, slot: number): DispatchDecision {
    const plan = result.plan;
    const householdKw = new Map<string, number>();
    for (const fleet of plan.households) {
      for (const [id, kw] of fleet.memberKw) {
        const h = this.book.households.get(id);
        if (!h || h.link.lost || !Number.isFinite(kw[slot]!)) continue;
        // A plan of ~0 kW for a storage in self-consumption leaves it there: pinning it at 0 would be an
        // unmeasured step (its self-consumption power is only reported every 15 minutes).
        if (h.setpointKw === null && Math.abs(kw[slot]!) < 0.2) continue;
        householdKw.set(id, kw[slot]!);
      }
    }
    const heatPumpOn = new Map<string, boolean>();
    for (const fleet of plan.heatPumps) {
      for (const [id, on] of fleet.memberOn) {
        const h = this.book.heatPumps.get(id);
        if (h && !h.link.lost) heatPumpOn.set(id, on[slot] === 1);
      }
    }
    return { householdKw, heatPumpOn, bessShareKw: plan.bessKw[slot] ?? 0 };
  }

  /**
   * Re-plans when the BESS carries, over minutes, much more or less than the plan foresaw: the forecast is
   * off, and the households should take their share of the difference now, not at the next slot.
   */
  checkPlanDrift(sampleMs: number, bessPowerKw: number): void {
    const alpha = this.ctx.config.bessPeriodS / 300;
    const plan = this.currentPlan?.plan;
    const slot = plan ? planSlotAt(plan, sampleMs) : -1;
    // The mean of the BESS power's departure from the plan, not of the power itself: a power that follows a
    // planned step (the slot boundary, a new plan) lags behind it by the filter's time constant, and the
    // lag alone read as drift five minutes after every large step (gen-s1-0041/run-001: a re-plan 5 minutes
    // into an import package moved its charging from the BESS to the households).
    const plannedKw = plan && slot >= 0 ? (plan.bessKw[slot] ?? 0) : 0;
    this.bessEmaKw += alpha * (bessPowerKw - plannedKw - this.bessEmaKw);
    if (!plan || !this.deps.run()) return;
    if (slot < 0) return;
    const thresholdKw = Math.max(30, 0.15 * this.book.bess.config.powerKw);
    if (Math.abs(this.bessEmaKw) > thresholdKw && this.ctx.clock.nowMs() - this.lastDispatchMs >= 300_000) {
      this.dispatch('drift');
    }
  }

  // ---------------------------------------------------------------- curtailment

  /** Curtailment (a last resort): limits the curtailable PV members' feed-in in proportion to their size. */
  private applyCurtailment(result: PlanResult, slot: number, now: number): void {
    const pv = this.ctx.config.curtailablePv ?? [];
    if (pv.length === 0) return;
    const curtailKw = result.plan.curtailmentKw[slot] ?? 0;
    const ttlMs = 2 * this.ctx.config.dispatchPeriodS * 1000;
    const totalKwp = pv.reduce((sum, m) => sum + m.kwp, 0);
    const availableKw = result.curtailablePvKw[slot] ?? 0;
    // A last-resort curtailment taken in a shortage holds for its window, whatever the plan says.
    if (now < this.emergencyCurtailUntilMs) return;
    for (const m of pv) {
      if (curtailKw > 1e-3) {
        const share = m.kwp / totalKwp;
        // Feed-in floor (≤ 0): what remains of the member's forecast generation after its share of curtailment.
        const floorKw = Math.min(0, (availableKw + curtailKw) * share);
        this.curtailed.add(m.id);
        this.channel.write(m.id, floorKw, now + ttlMs, 'curtailment');
      } else if (this.curtailed.delete(m.id)) {
        this.channel.write(m.id, null, now, 'curtailment release');
      }
    }
  }

  /**
   * The last resort in a shortage where more demand is needed and the BESS is already charging at its
   * limit: limit every curtailable PV member's feed-in to zero for one dispatch period. The EMS does not
   * measure PV members, so the plan's curtailment is bounded by the PV forecast; this is not, and the BESS
   * loop takes back whatever it curtailed too much.
   */
  curtailAllForShortage(now: number): void {
    const pv = this.ctx.config.curtailablePv ?? [];
    if (pv.length === 0 || now < this.emergencyCurtailUntilMs) return;
    const periodMs = this.ctx.config.dispatchPeriodS * 1000;
    this.emergencyCurtailUntilMs = now + periodMs;
    for (const m of pv) {
      this.curtailed.add(m.id);
      this.channel.write(m.id, 0, now + 2 * periodMs, 'shortage curtailment');
    }
    this.ctx.emit('dispatch', 'warning', `shortage: curtailable PV (${pv.length} members) limited to zero feed-in for ${this.ctx.config.dispatchPeriodS} s as a last resort`, {
      reason: 'shortage',
      method: 'curtail-all',
      members: pv.length,
    });
  }

  // ---------------------------------------------------------------- preparation

  /** Whether a preparation setpoint is due at a valid breaker sample (one per BESS period, on fresh measurements). */
  preparationDue(now: number): boolean {
    return this.currentPlan !== null && now - this.lastPrepWriteMs >= this.ctx.config.bessPeriodS * 1000 - 500;
  }

  /** Before an announced request starts, the BESS follows the plan (charging or discharging to prepare). */
  prepareBess(now: number): void {
    const plan = this.currentPlan?.plan;
    if (!plan || this.deps.run()) return;
    const slot = planSlotAt(plan, now);
    // A slot the plan reads as on target (its middle lies inside the request) holds that target from the
    // slot's start; before the request starts that is not preparation but holding early, and it spends the
    // energy the request needs (measured: gen-s1-0011 emptied the BESS 5 minutes short). The BESS idles
    // until the last two BESS cycles before the start, so that the request still starts settled.
    const onTarget = slot >= 0 && Number.isFinite(plan.deviationKw[slot] ?? NaN);
    const startMs = this.deps.pendingTrigger()?.startMs ?? now;
    const early = onTarget && now < startMs - 2 * this.ctx.config.bessPeriodS * 1000;
    let kw = slot >= 0 && !early ? (plan.bessKw[slot] ?? 0) : 0;
    // Preparing means charging before a request that opens by drawing on the BESS, or making room before
    // one that opens by filling it. Moving the BESS the way the request will first need it (emptying it
    // before a request that opens by discharging) spends in advance what the request's opening phase needs,
    // on the bet that a forecast hours ahead is right: gen-s1-0092 discharged 95 kWh two hours before a
    // request that opened at −110 kW, to make room for a midday surplus, left the opening phase no reserve
    // in the plan and ran out 54 minutes in, where deadbeat, which kept the energy, held 87 %. Such a move
    // is kept only while the plan leaves the opening phase a reserve of half what it draws (gen-s1-0051
    // makes room for a 3-hour import package that way, and holds more for it). The last cycles before the
    // start, in a slot on target, are not preparation but the request's own start, and stay as they are.
    if (!onTarget && this.prepSpendsOpeningReserve(plan, Math.max(now, startMs), kw)) kw = 0;
    kw = this.loop.limited(kw);
    this.lastPrepWriteMs = now;
    this.loop.commandBess(kw, 'preparation');
  }

  /**
   * Whether a preparation power `prepKw` goes the way the announced request's opening phase needs the BESS
   * (its first slots on target that use it, until the plan turns the BESS the other way) while the plan
   * leaves that phase a reserve below half the energy it draws (what a forecast error could need).
   */
  private prepSpendsOpeningReserve(plan: DispatchPlan, fromMs: number, prepKw: number): boolean {
    if (Math.abs(prepKw) < 1e-6 || plan.bessEnergyKwh.length !== plan.slots + 1) return false;
    const onTarget = (k: number): boolean => Number.isFinite(plan.deviationKw[k] ?? NaN);
    let k0 = Math.max(0, planSlotAt(plan, fromMs));
    while (k0 < plan.slots && !(onTarget(k0) && Math.abs(plan.bessKw[k0] ?? 0) > 1)) k0++;
    if (k0 >= plan.slots) return false;
    const dir = Math.sign(plan.bessKw[k0]!);
    if (Math.sign(prepKw) !== dir) return false;
    const c = this.book.bess.config;
    const limitKwh = ((dir > 0 ? c.socMaxPct : c.socMinPct) / 100) * c.energyKwh;
    const e0 = plan.bessEnergyKwh[k0]!;
    let extreme = e0;
    for (let k = k0; k < plan.slots && onTarget(k) && dir * (plan.bessKw[k] ?? 0) >= -1; k++) {
      const e = plan.bessEnergyKwh[k + 1]!;
      extreme = dir > 0 ? Math.max(extreme, e) : Math.min(extreme, e);
    }
    const drawKwh = Math.abs(extreme - e0);
    const reserveKwh = dir > 0 ? limitKwh - extreme : extreme - limitKwh;
    return reserveKwh < 0.5 * drawKwh;
  }
}

/** The fleet a member belongs to: its configured fleet, or its id without the `-NN` member suffix. */
function fleetOf(memberId: string, fleetId: string | undefined): string {
  return fleetId ?? memberId.replace(/-\d+$/, '');
}
