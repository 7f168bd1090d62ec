/** The console's texts in English and German. Keys are grouped by view; both languages have every key (a test checks). */
export const en = {
  app: { title: 'Local Flex Controller', simulator: 'Simulator', field: 'Field', speed: 'Speed', link: 'Link', linkOk: 'connected', linkLost: 'no connection', sessionTime: 'Session time', skip: 'Skip to content', shortcuts: 'Keyboard shortcuts' },
  nav: { now: 'Now', setpoint: 'Setpoint', assets: 'Assets', trends: 'Trends', runs: 'Runs', replay: 'Replay', settings: 'Settings' },
  stop: { button: 'Stop', hint: 'Stop the run now (Alt+S)', sent: 'Stop sent: every asset is released.', failed: 'Stop failed' },
  now: {
    breaker: 'Breaker power', target: 'Target', tolerance: 'Tolerance', deviation: 'Deviation', runState: 'Run', noRun: 'No run: the EMS dispatches nothing.',
    timeLeft: 'Time left', openEnded: 'until the next trigger', exhaustion: 'Predicted exhaustion', none: 'none predicted', inExhaustion: 'Flexibility exhausted',
    band: 'Flexibility band', kpis: 'Run KPIs (live)', k01: 'K01 availability', k02: 'K02 responsiveness', k03: 'K03 accuracy', covered: 'covered', held: 'held',
    settled: 'settled after', firstSetpoint: 'first setpoint after', mae: 'MAE', withinBand: 'within band', links: 'Link health', breakerLink: 'Breaker meter',
    forecast: 'Weather forecast', assetsOk: 'Assets reachable', stale: 'stale', safeState: 'safe state', ok: 'ok', missing: 'missing', chart: 'Breaker power vs target, last 30 min',
    events: 'Latest events', useCase: 'Use case', pending: 'Announced trigger starts at',
    runsOutIn: 'runs out in', spread: 'spread', confHigh: 'forecasts agree', confMedium: 'forecasts roughly agree', confLow: 'first or unsettled forecast', ofRequested: 'requested so far',
  },
  basis: { duration: 'its duration', schedule: 'end of the schedule', nextTrigger: 'until the next trigger', recordingEnd: 'end of the recording', superseded: 'superseded', operatorStop: 'stopped by the operator' },
  setpoint: {
    title: 'New setpoint', useCase: 'Use case', uc0: '0 – Stop', uc1: '1 – Island (0 kW)', uc2: '2 – Fixed target', uc3: '3 – Import packages', uc4: '4 – Export packages',
    target: 'Target P′Breaker', duration: 'Duration', tolerance: 'Tolerance', schedule: 'Schedule', from: 'From', to: 'To', addPackage: 'Add package', remove: 'Remove',
    check: 'Check', confirm: 'Send to the EMS', cancel: 'Cancel', reviewTitle: 'Review before sending', limit: 'Connection limit', required: 'Correction needed',
    verdict: 'Feasibility', feasible: 'feasible', tight: 'tight', infeasible: 'not feasible', unknown: 'unknown', sent: 'Trigger {id} accepted.', refused: 'Refused: {reason}',
    minutes: 'min', startsNow: 'Starts now on the session clock.', importHint: 'Import = positive, export = negative (kW at the breaker).',
  },
  assets: { filter: 'Filter', kind: 'Kind', all: 'All', id: 'Asset', power: 'Power', setpoint: 'Setpoint', state: 'SOC / indoor', band: 'Band', lastReport: 'Last report', link: 'Link', bess: 'Community BESS', householdStorage: 'Household storage', heatPump: 'Heat pump', count: '{n} assets', sortBy: 'Sort by {col}' },
  trends: { series: 'Series', range: 'Range', follow: 'Follow live', overlay: 'Forecast overlay', noForecast: 'no forecast stored for the selected series (plans are made during runs, with the optimiser)', noForecastInWindow: 'no forecast in this window', overlayShown: '{series} dashed: the plan in force at each slot’s start, and beyond now what it expects (plans issued: {plans})', overlayOff: 'off', forecast: 'forecast', markers: 'Markers: triggers ▲, faults ◆', resetZoom: 'Reset zoom', png: 'PNG', min10: '10 min', h1: '1 h', h6: '6 h', h24: '24 h', d7: '7 days' },
  runs: { none: 'No runs yet.', run: 'Run', trigger: 'Trigger', end: 'End reason', kpis: 'KPIs', export: 'Export', report: 'Printable report', saveScenario: 'Save as scenario', saved: 'Saved as {path}', running: 'running', start: 'Start', exported: 'Downloaded {file}', reportTitle: 'Run report', controller: 'Controller', endTime: 'End', noKpis: 'No KPIs: the run has not ended.', timezone: 'Times in the site’s time zone', ofRequested: 'of' },
  replay: { scenario: 'Scenario', path: 'or a file path', start: 'Replay', stop: 'Stop replay', progress: 'Progress', lfc: 'lfc (this product)', deadbeat: 'deadbeat (reference)', kpiTable: 'KPIs side by side', kpi: 'KPI', idle: 'Pick a scenario and press Replay.' },
  settings: { connections: 'Connections', test: 'Test', dataFolder: 'Data folder', logFile: 'Log file', language: 'Language', theme: 'Theme', system: 'As the system', light: 'Light', dark: 'Dark', about: 'About', version: 'Version', transport: 'Transport', keptByHost: 'Language and theme are kept in the controller’s settings.', keptByBrowser: 'Language and theme are kept in this browser.' },
  notice: { close: 'Close', startup: 'Some settings could not be used', aboutTitle: 'About', verifyTitle: 'Record verification', verifyOk: 'Intact: {entries} entries, signed by key {fingerprint} ({installation}).', verifyBad: 'Broken at entry {entry} (line {line}): {message}', verifyResumed: 'Continued {resumes} time(s), {unsealed} of them after a writer that stopped without closing it.', verifyRecovered: 'Entry {entry}: a line torn by a crash was moved aside to {file}.', verifyUnsealed: 'Not sealed: the record was not closed. Its writer stopped or is still writing, or entries were cut from its end.', verifyFailed: 'The record could not be verified: {message}', electron: 'Electron', platform: 'Platform' },
  kpi: { maeKw: 'MAE', rmseKw: 'RMSE', withinBandPct: 'Within band', coveredPct: 'Covered', heldPctOfRequested: 'Held', settlingS: 'Settling', firstSetpointS: 'First setpoint', maxAbsErrorKw: 'Max. abs. error', energyErrorKwh: 'Energy error' },
  endReason: { 'duration-elapsed': 'duration elapsed', superseded: 'superseded', 'operator-stop': 'operator stop', 'flex-exhausted': 'flexibility exhausted', fault: 'fault', 'scenario-end': 'scenario end', 'ems-stopped': 'EMS stopped' },
};

export type Messages = typeof en;

export const de: Messages = {
  app: { title: 'Local Flex Controller', simulator: 'Simulator', field: 'Feld', speed: 'Tempo', link: 'Verbindung', linkOk: 'verbunden', linkLost: 'keine Verbindung', sessionTime: 'Sitzungszeit', skip: 'Zum Inhalt', shortcuts: 'Tastenkürzel' },
  nav: { now: 'Jetzt', setpoint: 'Sollwert', assets: 'Anlagen', trends: 'Verläufe', runs: 'Läufe', replay: 'Wiedergabe', settings: 'Einstellungen' },
  stop: { button: 'Stopp', hint: 'Lauf sofort beenden (Alt+S)', sent: 'Stopp gesendet: alle Anlagen freigegeben.', failed: 'Stopp fehlgeschlagen' },
  now: {
    breaker: 'Leistung am Übergabepunkt', target: 'Sollwert', tolerance: 'Toleranz', deviation: 'Abweichung', runState: 'Lauf', noRun: 'Kein Lauf: das EMS steuert nichts.',
    timeLeft: 'Restzeit', openEnded: 'bis zum nächsten Auslöser', exhaustion: 'Erwartete Erschöpfung', none: 'keine erwartet', inExhaustion: 'Flexibilität erschöpft',
    band: 'Flexibilitätsband', kpis: 'Lauf-KPIs (live)', k01: 'K01 Verfügbarkeit', k02: 'K02 Reaktion', k03: 'K03 Genauigkeit', covered: 'gedeckt', held: 'gehalten',
    settled: 'eingeregelt nach', firstSetpoint: 'erster Sollwert nach', mae: 'MAE', withinBand: 'im Band', links: 'Verbindungen', breakerLink: 'Zähler Übergabepunkt',
    forecast: 'Wetterprognose', assetsOk: 'Anlagen erreichbar', stale: 'veraltet', safeState: 'sicherer Zustand', ok: 'ok', missing: 'fehlt', chart: 'Leistung am Übergabepunkt und Sollwert, letzte 30 min',
    events: 'Letzte Ereignisse', useCase: 'Anwendungsfall', pending: 'Angekündigter Auslöser beginnt um',
    runsOutIn: 'erschöpft in', spread: 'Streuung', confHigh: 'Prognosen einig', confMedium: 'Prognosen ungefähr einig', confLow: 'erste oder unstete Prognose', ofRequested: 'bisher angefordert',
  },
  basis: { duration: 'ihre Dauer', schedule: 'Ende des Fahrplans', nextTrigger: 'bis zum nächsten Auslöser', recordingEnd: 'Ende der Aufzeichnung', superseded: 'abgelöst', operatorStop: 'vom Bediener gestoppt' },
  setpoint: {
    title: 'Neuer Sollwert', useCase: 'Anwendungsfall', uc0: '0 – Stopp', uc1: '1 – Insel (0 kW)', uc2: '2 – Fester Sollwert', uc3: '3 – Bezugspakete', uc4: '4 – Einspeisepakete',
    target: 'Sollwert P′Breaker', duration: 'Dauer', tolerance: 'Toleranz', schedule: 'Fahrplan', from: 'Von', to: 'Bis', addPackage: 'Paket hinzufügen', remove: 'Entfernen',
    check: 'Prüfen', confirm: 'An das EMS senden', cancel: 'Abbrechen', reviewTitle: 'Vor dem Senden prüfen', limit: 'Anschlussgrenze', required: 'Benötigte Korrektur',
    verdict: 'Machbarkeit', feasible: 'machbar', tight: 'knapp', infeasible: 'nicht machbar', unknown: 'unbekannt', sent: 'Auslöser {id} angenommen.', refused: 'Abgelehnt: {reason}',
    minutes: 'min', startsNow: 'Beginnt sofort nach Sitzungsuhr.', importHint: 'Bezug = positiv, Einspeisung = negativ (kW am Übergabepunkt).',
  },
  assets: { filter: 'Filter', kind: 'Art', all: 'Alle', id: 'Anlage', power: 'Leistung', setpoint: 'Sollwert', state: 'SOC / Raumtemp.', band: 'Band', lastReport: 'Letzte Meldung', link: 'Verbindung', bess: 'Quartiersspeicher', householdStorage: 'Heimspeicher', heatPump: 'Wärmepumpe', count: '{n} Anlagen', sortBy: 'Sortieren nach {col}' },
  trends: { series: 'Reihen', range: 'Zeitraum', follow: 'Live folgen', overlay: 'Prognose überlagern', noForecast: 'für die gewählten Reihen ist keine Prognose gespeichert (Pläne entstehen während Läufen, mit dem Optimierer)', noForecastInWindow: 'keine Prognose in diesem Zeitraum', overlayShown: '{series} gestrichelt: der zu Beginn jedes Slots gültige Plan, nach jetzt seine Erwartung (ausgegebene Pläne: {plans})', overlayOff: 'aus', forecast: 'Prognose', markers: 'Marker: Auslöser ▲, Störungen ◆', resetZoom: 'Zoom zurücksetzen', png: 'PNG', min10: '10 min', h1: '1 h', h6: '6 h', h24: '24 h', d7: '7 Tage' },
  runs: { none: 'Noch keine Läufe.', run: 'Lauf', trigger: 'Auslöser', end: 'Endgrund', kpis: 'KPIs', export: 'Export', report: 'Druckbarer Bericht', saveScenario: 'Als Szenario speichern', saved: 'Gespeichert als {path}', running: 'läuft', start: 'Beginn', exported: '{file} heruntergeladen', reportTitle: 'Laufbericht', controller: 'Regler', endTime: 'Ende', noKpis: 'Keine KPIs: der Lauf ist nicht beendet.', timezone: 'Zeiten in der Zeitzone des Standorts', ofRequested: 'von' },
  replay: { scenario: 'Szenario', path: 'oder ein Dateipfad', start: 'Wiedergeben', stop: 'Wiedergabe beenden', progress: 'Fortschritt', lfc: 'lfc (dieses Produkt)', deadbeat: 'deadbeat (Referenz)', kpiTable: 'KPIs im Vergleich', kpi: 'KPI', idle: 'Szenario wählen und „Wiedergeben“ drücken.' },
  settings: { connections: 'Verbindungen', test: 'Testen', dataFolder: 'Datenordner', logFile: 'Protokolldatei', language: 'Sprache', theme: 'Darstellung', system: 'Wie das System', light: 'Hell', dark: 'Dunkel', about: 'Über', version: 'Version', transport: 'Übertragung', keptByHost: 'Sprache und Darstellung werden in den Einstellungen des Reglers gespeichert.', keptByBrowser: 'Sprache und Darstellung werden in diesem Browser gespeichert.' },
  notice: { close: 'Schließen', startup: 'Einige Einstellungen konnten nicht verwendet werden', aboutTitle: 'Über', verifyTitle: 'Protokollprüfung', verifyOk: 'Unversehrt: {entries} Einträge, signiert mit Schlüssel {fingerprint} ({installation}).', verifyBad: 'Beschädigt bei Eintrag {entry} (Zeile {line}): {message}', verifyResumed: '{resumes}-mal fortgesetzt, davon {unsealed}-mal nach einem Schreiber, der es nicht geschlossen hatte.', verifyRecovered: 'Eintrag {entry}: eine bei einem Absturz abgerissene Zeile wurde nach {file} verschoben.', verifyUnsealed: 'Nicht versiegelt: das Protokoll wurde nicht geschlossen. Der Schreiber hat aufgehört oder schreibt noch, oder Einträge wurden am Ende abgeschnitten.', verifyFailed: 'Das Protokoll konnte nicht geprüft werden: {message}', electron: 'Electron', platform: 'Plattform' },
  kpi: { maeKw: 'MAE', rmseKw: 'RMSE', withinBandPct: 'Im Band', coveredPct: 'Gedeckt', heldPctOfRequested: 'Gehalten', settlingS: 'Einregelzeit', firstSetpointS: 'Erster Sollwert', maxAbsErrorKw: 'Max. Betragsfehler', energyErrorKwh: 'Energiefehler' },
  endReason: { 'duration-elapsed': 'Dauer abgelaufen', superseded: 'ersetzt', 'operator-stop': 'Stopp durch Bediener', 'flex-exhausted': 'Flexibilität erschöpft', fault: 'Störung', 'scenario-end': 'Szenarioende', 'ems-stopped': 'EMS beendet' },
};
