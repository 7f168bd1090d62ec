/**
 * The Settings view: the data folder and log file, the operator's language and theme (kept by the host;
 * a host without a store leaves them to the console), the connections (the bundled simulator and the
 * site's) and their tests.
 */
import type { ConnectionInfo, ConnectionTestResult, CoreSettings, Preferences } from '../../shared/ipc-contract';
import { CoreError, parseRequest, PreferencesPatchSchema } from '../requests';
import type { SiteService } from '../site-service';
import type { PreferencesPort } from './host-ports';
import type { SimulatorSession } from './simulator-session';

/** What Settings needs to know of the live session. */
export interface SettingsLiveView {
  simulation: SimulatorSession | null;
  defaultScenarioPath(): string;
}

export interface SettingsServiceOptions {
  dataDirPath: string;
  logFilePath: string | null;
  preferences: PreferencesPort | null;
  site: SiteService;
  live: SettingsLiveView;
}

export class SettingsService {
  constructor(private readonly o: SettingsServiceOptions) {}

  get(): CoreSettings {
    const sim = this.o.live.simulation;
    const simulator: ConnectionInfo = {
      id: 'simulator',
      label: 'Bundled simulator',
      kind: 'simulator',
      endpoint: sim ? sim.loaded.path : this.o.live.defaultScenarioPath(),
      role: 'the plant in-process (simulator mode)',
    };
    return {
      dataDirPath: this.o.dataDirPath,
      logFilePath: this.o.logFilePath,
      preferences: this.o.preferences ? this.o.preferences.get() : null,
      connections: [simulator, ...this.o.site.connections()],
    };
  }

  /** The host's preferences, or null when the console keeps its own. */
  preferences(): Preferences | null {
    return this.o.preferences ? this.o.preferences.get() : null;
  }

  /** Stores the operator's language and theme in the host's settings. */
  setPreferences(patch: Partial<Preferences>): Preferences {
    const p = parseRequest(PreferencesPatchSchema, patch, 'settings:setPreferences');
    if (!this.o.preferences) throw new CoreError('NOT_AVAILABLE', 'this host keeps no preferences: the console keeps them itself');
    return this.o.preferences.set(p);
  }

  /** Tests one connection for real: `simulator`, a fresh breaker sample; a site's, `SiteService.test`. */
  async testConnection(connectionId: string): Promise<ConnectionTestResult> {
    if (typeof connectionId !== 'string' || connectionId.length === 0) throw new CoreError('BAD_REQUEST', 'connections:test: a connection id is required');
    if (connectionId !== 'simulator') return this.o.site.test(connectionId);
    const sim = this.o.live.simulation;
    const steps = (ok: boolean, detail: string): ConnectionTestResult['steps'] => [{ step: 'read', ok, detail }];
    if (!sim) return { id: connectionId, ok: false, message: 'simulator: not started', steps: steps(false, 'not started'), latencyMs: null, opcua: null };
    const { fresh: ok, lastSampleMs } = sim.breakerFreshness();
    const detail = ok ? `breaker sample at ${new Date(lastSampleMs!).toISOString()}` : 'no fresh breaker sample';
    return { id: connectionId, ok, message: `simulator (${sim.loaded.scenario.name}): ${detail}`, steps: steps(ok, detail), latencyMs: null, opcua: null };
  }
}
