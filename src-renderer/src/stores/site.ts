import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

import { call } from '../api';
import type { ConnectionTestResult, IpcResult, LiveState, PkiState, SiteDocument } from '../api';
import { useSettingsStore } from './settings';

/**
 * The parts of a site file (`lfc-site/1`) the Connections form edits; everything else (the plant's asset
 * list above all) is carried through unchanged, so an imported file keeps what the form does not show.
 */
export interface SiteDraft {
  format: string;
  name: string;
  controller?: 'lfc' | 'deadbeat';
  plant: { site: { connectionLimitKw: number; timezone: string; [k: string]: unknown }; measurement: { breakerPeriodS: number; [k: string]: unknown }; [k: string]: unknown };
  connectors: {
    installation: string;
    endpoints: Record<string, { baseUrl: string; tokenSecret?: string; timeoutMs?: number; [k: string]: unknown }>;
    breaker: { via: string; endpoint?: string; meterId?: string };
    assets: Array<{ asset: string; via: string; endpointUrl?: string; endpoint?: string; userSecret?: string; passwordSecret?: string; [k: string]: unknown }>;
    weather: { via: string; endpoint?: string; latitude?: number; longitude?: number };
    triggerIntake: { host?: string; port?: number; tokens: Array<{ name: string; secret: string }>; allowedRemotes?: string[] };
    [k: string]: unknown;
  };
  opcua?: { securityMode?: string; securityPolicy?: string; mappingFile?: string; trustedThumbprints?: string[]; [k: string]: unknown };
  clock?: { source: 'system' | 'lab-rig'; endpoint?: string };
  /** The fleet uplink over MQTT (`uplink/uplink-config.ts`); absent: none. */
  uplink?: UplinkDraft;
  [k: string]: unknown;
}

/** The site file's `uplink` section as the form edits it (empty optional fields are left out). */
export interface UplinkDraft {
  url: string;
  siteId?: string;
  username?: string;
  passwordSecret?: string;
  tls?: { caFile?: string; certFile?: string; keyFile?: string; rejectUnauthorized?: boolean };
  [k: string]: unknown;
}

/** A fresh uplink section: TLS to a placeholder broker (`*.invalid` never resolves), the password a secret. */
export const NEW_UPLINK: Readonly<UplinkDraft> = { url: 'mqtts://fleet.invalid:8883', passwordSecret: 'UPLINK_PASSWORD' };

/**
 * One field of the uplink section set from the form: trimmed, an empty optional field removed (a `tls`
 * left without a file goes too, unless it carries other settings), the section otherwise kept as it is.
 */
export function withUplinkField(u: UplinkDraft, field: 'url' | 'siteId' | 'username' | 'passwordSecret' | 'caFile' | 'certFile' | 'keyFile', raw: string): UplinkDraft {
  const value = raw.trim();
  if (field === 'url') return { ...u, url: value };
  if (field === 'caFile' || field === 'certFile' || field === 'keyFile') {
    const { [field]: _old, ...rest } = u.tls ?? {};
    const tls = value === '' ? rest : { ...rest, [field]: value };
    const { tls: _t, ...without } = u;
    return Object.keys(tls).length === 0 ? without : { ...without, tls };
  }
  const { [field]: _old, ...rest } = u;
  return value === '' ? rest : { ...rest, [field]: value };
}

/**
 * The problems of a refused site file, by JSON path: the core lists them one a line as `  $.path: message`
 * (site-file.ts), so each can be shown at its field. Lines without a path go under `$`.
 */
export function issuesByPath(message: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of message.split('\n')) {
    // "  $.path: message", or the file's name first when there is one problem ("/x/site.json:   $.path: message").
    const m = /(?:^|\s)(\$[^:\s]*):\s(.*)$/.exec(line);
    if (m) out[m[1]!] = out[m[1]!] ? `${out[m[1]!]}; ${m[2]!}` : m[2]!;
  }
  if (Object.keys(out).length === 0) out['$'] = message;
  return out;
}

/** Reads a site file's text into a draft, or says why it cannot be one. */
export function parseDraft(text: string): SiteDraft | string {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return `not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const d = raw as Partial<SiteDraft> | null;
  if (!d || typeof d !== 'object' || d.format !== 'lfc-site/1') return 'not a site file: its "format" must be "lfc-site/1"';
  if (!d.connectors || typeof d.connectors !== 'object' || !d.plant || typeof d.plant !== 'object') return 'not a site file: it needs "plant" and "connectors"';
  return d as SiteDraft;
}

/** Every secret name a draft uses (endpoint tokens, OPC UA logins, intake tokens, the uplink's password), in file order. */
export function secretNames(d: SiteDraft): string[] {
  const c = d.connectors;
  const names: string[] = [];
  for (const e of Object.values(c.endpoints ?? {})) if (e.tokenSecret) names.push(e.tokenSecret);
  for (const a of c.assets ?? []) for (const n of [a.userSecret, a.passwordSecret]) if (n) names.push(n);
  for (const t of c.triggerIntake?.tokens ?? []) if (t.secret) names.push(t.secret);
  if (d.uplink?.passwordSecret) names.push(d.uplink.passwordSecret);
  return [...new Set(names)];
}

/** Settings → Connections: the site file, its secrets, the OPC UA PKI and the switch between modes. */
export const useSiteStore = defineStore('site', () => {
  const doc = ref<SiteDocument | null>(null);
  const draft = ref<SiteDraft | null>(null);
  /** Values typed for secrets; only non-empty ones are sent. Cleared after a save: never kept in the page. */
  const secretInputs = ref<Record<string, string>>({});
  /** Kept secrets the operator asked to forget (deleted on the next save). */
  const forget = ref<Set<string>>(new Set());
  const issues = ref<Record<string, string>>({});
  const saved = ref(false);
  const busy = ref(false);
  const pki = ref<PkiState | null>(null);
  const pkiError = ref<string | null>(null);
  /** A mode switch awaiting the operator's confirmation. */
  const confirming = ref<'field' | 'simulator' | null>(null);
  const switchError = ref<string | null>(null);
  const testing = ref<Record<string, boolean>>({});
  const tests = ref<Record<string, ConnectionTestResult>>({});

  const isNew = computed(() => doc.value !== null && doc.value.text === null);
  const secretState = computed(() => new Map((doc.value?.secrets ?? []).map((s) => [s.name, s])));

  async function load(): Promise<void> {
    const r = await call('site:get');
    if (!r.ok) {
      issues.value = { $: r.error.message };
      return;
    }
    doc.value = r.value;
    secretInputs.value = {};
    forget.value = new Set();
    const parsed = parseDraft(r.value.text ?? r.value.template);
    if (typeof parsed === 'string') issues.value = { $: parsed };
    else draft.value = parsed;
    void loadPki();
  }

  /** Replaces the draft with an imported file's text (saved only when the operator saves). */
  function importText(text: string): boolean {
    const parsed = parseDraft(text);
    if (typeof parsed === 'string') {
      issues.value = { $: parsed };
      return false;
    }
    draft.value = parsed;
    issues.value = {};
    saved.value = false;
    // Values typed for the previous draft do not follow into another file.
    secretInputs.value = {};
    forget.value = new Set();
    return true;
  }

  /** The draft as a site file's text (no secret is ever in it). */
  function exportText(): string {
    return JSON.stringify(draft.value, null, 2) + '\n';
  }

  async function save(): Promise<boolean> {
    if (!draft.value) return false;
    busy.value = true;
    saved.value = false;
    const used = secretNames(draft.value);
    const typed = Object.entries(secretInputs.value).filter(([n, v]) => v !== '' && used.includes(n));
    // An empty value deletes a kept secret: only for those the operator asked to forget.
    const forgotten = [...forget.value].filter((n) => used.includes(n) && !typed.some(([t]) => t === n)).map((n) => [n, ''] as const);
    const secrets = Object.fromEntries([...typed, ...forgotten]);
    const r = await call('site:save', { text: exportText(), ...(Object.keys(secrets).length > 0 ? { secrets } : {}) });
    busy.value = false;
    if (!r.ok) {
      issues.value = issuesByPath(r.error.message);
      return false;
    }
    doc.value = r.value;
    issues.value = {};
    secretInputs.value = {};
    forget.value = new Set();
    saved.value = true;
    // The connection list and the PKI folder follow the saved site.
    await Promise.all([useSettingsStore().load(), loadPki()]);
    return true;
  }

  async function test(id: string): Promise<void> {
    testing.value = { ...testing.value, [id]: true };
    const r = await call('connections:test', id);
    testing.value = { ...testing.value, [id]: false };
    tests.value = { ...tests.value, [id]: r.ok ? r.value : { id, ok: false, message: r.error.message, steps: [], latencyMs: null, opcua: null } };
    if (r.ok && r.value.opcua?.certificate) void loadPki();
  }

  /** The PKI as a call left it (its lists, or why the call failed). */
  async function pkiCall(r: Promise<IpcResult<PkiState>>): Promise<void> {
    const res = await r;
    if (res.ok) {
      pki.value = res.value;
      pkiError.value = null;
    } else pkiError.value = res.error.message;
  }
  const loadPki = () => pkiCall(call('connections:pki'));
  const trust = (sha1: string) => pkiCall(call('connections:trustCertificate', sha1));
  const reject = (sha1: string) => pkiCall(call('connections:rejectCertificate', sha1));

  /** Asks for the switch; `confirmSwitch` carries it out. */
  function requestSwitch(to: 'field' | 'simulator'): void {
    switchError.value = null;
    confirming.value = to;
  }

  async function confirmSwitch(): Promise<LiveState | null> {
    const to = confirming.value;
    confirming.value = null;
    if (!to) return null;
    busy.value = true;
    const r = to === 'field' ? await call('core:startField') : await call('core:startSimulator', {});
    busy.value = false;
    if (!r.ok) {
      switchError.value = r.error.message;
      return null;
    }
    await useSettingsStore().load();
    return r.value;
  }

  function toggleForget(name: string): void {
    const next = new Set(forget.value);
    if (next.has(name)) next.delete(name);
    else next.add(name);
    forget.value = next;
  }

  return { doc, draft, secretInputs, forget, toggleForget, issues, saved, busy, pki, pkiError, confirming, switchError, testing, tests, isNew, secretState, load, importText, exportText, save, test, loadPki, trust, reject, requestSwitch, confirmSwitch };
});
