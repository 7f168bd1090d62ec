/**
 * What may arrive over IPC or the serve-mode WebSocket, as zod schemas. Anything can arrive there, so every
 * request is parsed here before the core acts on it, and a bad one becomes a `BAD_REQUEST` that says which
 * field is wrong and why.
 */
import { z } from 'zod';

import type { IpcErrorCode } from '../shared/ipc-contract';

/** An error the core raises on purpose; the IPC layer turns its code into the result envelope. */
export class CoreError extends Error {
  constructor(
    readonly code: Exclude<IpcErrorCode, 'FORBIDDEN_SENDER' | 'BRIDGE_UNAVAILABLE' | 'DISCONNECTED'>,
    message: string,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const SpeedSchema = z.union([z.literal('max'), z.number().min(1, 'speed must be at least 1×').max(100_000, 'speed must be at most 100000×')]);

export const TriggerRequestSchema = z.strictObject({
  useCase: z.union([z.literal(0), z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
  targetKw: finite.nullable().optional(),
  durationS: z.number().positive('durationS must be positive').refine(Number.isFinite, 'must be finite').nullable().optional(),
  toleranceKw: z.number().positive('toleranceKw must be positive').refine(Number.isFinite, 'must be finite').optional(),
  schedule: z
    .array(z.strictObject({ fromMs: finite, toMs: finite, targetKw: finite }))
    .nullable()
    .optional(),
});

export const StartSimulatorRequestSchema = z.strictObject({
  scenarioPath: z.string().min(1).optional(),
  speed: SpeedSchema.optional(),
  withScenarioTriggers: z.boolean().optional(),
});

export const SeriesQuerySchema = z.strictObject({
  seriesId: z.string().min(1),
  fromMs: finite,
  toMs: finite,
  maxBuckets: z.number().int().min(1).max(20_000),
});

export const EventsQuerySchema = z.strictObject({
  fromMs: finite,
  toMs: finite,
  types: z.array(z.string()).optional(),
  runId: z.string().optional(),
});

export const ExportFormatSchema = z.enum(['csv', 'xlsx', 'json']);

export const SaveAsScenarioRequestSchema = z.strictObject({
  runId: z.string().min(1),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'a scenario name is letters, digits, "_", "." or "-" (it becomes a folder name)')
    .optional(),
});

export const SaveSiteRequestSchema = z.strictObject({
  text: z.string().min(2).max(1_000_000),
  secrets: z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a secret name is UPPER_SNAKE_CASE'), z.string().max(10_000)).optional(),
});

export const ReplayRequestSchema = z.strictObject({
  scenarioPath: z.string().min(1),
  speed: SpeedSchema,
});

/** Parses `value` or throws a `BAD_REQUEST` naming the argument and every problem in it. */
export function parseRequest<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(value)'}: ${i.message}`);
  throw new CoreError('BAD_REQUEST', `${what}: ${problems.join('; ')}`);
}

export const ForecastQuerySchema = z.strictObject({
  seriesId: z.string().min(1),
  fromMs: finite,
  toMs: finite,
});

export const PreferencesPatchSchema = z.strictObject({
  language: z.enum(['en', 'de']).optional(),
  theme: z.enum(['system', 'light', 'dark']).optional(),
});
