/**
 * The Replay view: one scenario replayed side by side with `lfc` and `deadbeat` (`replay-compare.ts`),
 * paced like the live simulator (1× … max), its progress pushed as `replay:onProgress`.
 */
import type { ReplayRequest, ReplayState } from '../../shared/ipc-contract';
import type { PaceAnchor } from '../live-logic';
import { ReplayComparison } from '../replay-compare';
import { parseRequest, ReplayRequestSchema } from '../requests';
import type { CoreEvents, WallTimers } from './host-ports';
import type { Pacer } from './pacer';
import type { ScenarioFiles } from './scenario-files';

const idleReplay = (): ReplayState => ({ status: 'idle', scenario: null, scenarioPath: null, speed: 1, progress: 0, nowMs: null, error: null, sides: [] });

export interface ReplayServiceOptions {
  files: ScenarioFiles;
  events: CoreEvents;
  pacer: Pacer;
  wall: Pick<WallTimers, 'now'>;
}

export class ReplayService {
  private comparison: ReplayComparison | null = null;
  private state: ReplayState = idleReplay();
  private anchor: PaceAnchor = { wallMs: 0, simMs: 0 };

  constructor(private readonly o: ReplayServiceOptions) {}

  get running(): boolean {
    return this.state.status === 'running';
  }

  async start(request: ReplayRequest): Promise<ReplayState> {
    const req = parseRequest(ReplayRequestSchema, request, 'replay:start');
    const loaded = await this.o.files.load(req.scenarioPath);
    // With the planner's solver, as `npm run replay` runs lfc (deadbeat never plans).
    const solver = await this.o.files.solverOrNull();
    const comparison = new ReplayComparison({ ...loaded, loadProfiles: this.o.files.loadProfiles(), ...(solver ? { solver } : {}) });
    this.comparison = comparison;
    this.anchor = { wallMs: this.o.wall.now(), simMs: comparison.nowMs };
    this.state = { status: 'running', scenario: loaded.scenario.name, scenarioPath: loaded.path, speed: req.speed, progress: 0, nowMs: comparison.nowMs, error: null, sides: comparison.data() };
    return this.state;
  }

  getState(): ReplayState {
    return this.state;
  }

  stop(): ReplayState {
    this.comparison = null;
    this.state = { ...this.state, status: this.state.status === 'running' ? 'idle' : this.state.status };
    return this.state;
  }

  /** Advances a running replay to where the wall clock says it should be; says when it ends or fails. */
  pump(): void {
    const cmp = this.comparison;
    if (!cmp || this.state.status !== 'running') return;
    try {
      this.o.pacer.advance(cmp, this.anchor, this.state.speed);
      this.state = { ...this.state, progress: cmp.progress, nowMs: cmp.nowMs, sides: cmp.data(), status: cmp.done ? 'done' : 'running' };
    } catch (error) {
      this.state = { ...this.state, status: 'failed', error: error instanceof Error ? error.message : String(error) };
    }
    if (this.state.status !== 'running') this.o.events.emit('replay:onProgress', this.state);
  }

  /** The 1 Hz progress of a running replay. */
  publish(): void {
    if (this.state.status === 'running') this.o.events.emit('replay:onProgress', this.state);
  }

  /** Forgets the replay (for isolated tests and at close). */
  reset(): void {
    this.comparison = null;
    this.state = idleReplay();
    this.anchor = { wallMs: 0, simMs: 0 };
  }
}
