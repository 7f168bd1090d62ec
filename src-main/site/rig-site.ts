/**
 * The site file that reaches a running lab rig (`npm run lab -- SCEN --rig-only --site-out FILE`): the
 * rig's scenario as the plant, its connector configuration, the OPC UA server's certificate as the one
 * the operator vouches for (the lab started that server), the rig's clock, and a fresh trigger-intake
 * token. The secrets (the rig's bearer token, the OPC UA login, the intake token) go to the secrets file.
 */
import { randomBytes } from 'node:crypto';
import type { LabRig } from '../lab/rig.js';
import { SITE_FILE_FORMAT, type SiteFile } from './site-file.js';

export function siteFileForRig(rig: LabRig, opts: { intakePort?: number; controller?: 'lfc' | 'deadbeat' } = {}): { site: SiteFile; secrets: Record<string, string> } {
  const { config, secrets } = rig.connectorConfig({ intakeTokenSecret: 'INTAKE_TOKEN' });
  const s = rig.scenario;
  // The EMS keeps its own PKI (under its data folder): the rig's client folder is the lab's EMS's.
  const assets = config.assets.map((a) => {
    if (a.via !== 'opcua') return a;
    const { pkiDir: _rigEmsPki, ...rest } = a;
    return rest;
  });
  const site: SiteFile = {
    format: SITE_FILE_FORMAT,
    name: `lab rig: ${s.name}`,
    controller: opts.controller ?? 'lfc',
    plant: { site: s.site, measurement: s.measurement, control: s.control, assets: s.assets },
    connectors: { ...config, assets, triggerIntake: { ...config.triggerIntake, port: opts.intakePort ?? 0 } },
    opcua: {
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      trustedThumbprints: rig.bessOpcua ? [rig.bessOpcua.certificateThumbprint] : [],
    },
    clock: { source: 'lab-rig', endpoint: 'dso' },
  };
  return { site, secrets: { ...secrets, INTAKE_TOKEN: randomBytes(24).toString('base64url') } };
}
