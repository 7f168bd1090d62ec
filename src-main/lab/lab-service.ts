/**
 * A restartable lab HTTP service with faults injected at the protocol level: answer 500, never answer
 * (the client's deadline must save it), refuse connections (stopped), or restart on the same port with a
 * new boot id (clients must notice and resynchronise). Every simulated backend of the rig is one of these.
 */
import { randomUUID } from 'node:crypto';
import { startJsonServer, type JsonServerOptions, type Route, type RunningServer } from '../connectors/rest/json-server.js';

export interface ProtocolFaults {
  /** Every request is answered 500. */
  http500: boolean;
  /** Requests are accepted and never answered (until the client gives up). */
  hang: boolean;
}

export class LabService {
  private server: RunningServer | null = null;
  private port = 0;
  bootId = randomUUID().slice(0, 8);
  readonly faults: ProtocolFaults = { http500: false, hang: false };
  /** Counts every request that reached a route (after the fault gate), for tests and the endpoint list. */
  requests = 0;

  constructor(
    readonly role: string,
    private readonly opts: JsonServerOptions,
    private readonly routes: Route[],
  ) {}

  get url(): string {
    if (!this.server) throw new Error(`${this.role} is not running`);
    return this.server.url;
  }

  get running(): boolean {
    return this.server !== null;
  }

  async start(): Promise<void> {
    if (this.server) return;
    const gated: Route[] = this.routes.map((r) => ({
      ...r,
      handler: async (req) => {
        if (this.faults.hang) {
          await req.closed;
          return { status: 504, body: { error: 'hung' } };
        }
        if (this.faults.http500) return { status: 500, body: { error: `${this.role}: injected internal error` } };
        this.requests++;
        return r.handler(req);
      },
    }));
    this.server = await startJsonServer({ ...this.opts, port: this.port || this.opts.port || 0 }, gated);
    this.port = this.server.port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    await s?.stop();
  }

  /** Stops and starts again on the same port with a new boot id, as a backend restart would. */
  async restart(onDown?: () => void): Promise<void> {
    await this.stop();
    onDown?.();
    this.bootId = randomUUID().slice(0, 8);
    await this.start();
  }
}
