/** The Fleet view's texts (the central history, serve mode with `--fleet-postgres`), English and German. */
export const fleetEn = {
  fleet: {
    title: 'Fleet: central history',
    readOnly: 'Read-only, from the fleet’s central database. Times in UTC.',
    notConfigured: 'This console has no central history: start serve mode with --fleet-postgres <url>.',
    site: 'Site',
    pickSite: 'Pick a site…',
    noSites: 'The central history has no site yet.',
    state: 'state {state}, last heard {time}',
    runsOf: 'runs: {n}',
    noRuns: 'No runs of this site in the central history.',
    show: 'Trends',
    trendsOf: 'Trends around {run}',
    noData: 'No measurements of the selected series in this window.',
    events: 'Events',
    loading: 'loading…',
  },
};

export const fleetDe: typeof fleetEn = {
  fleet: {
    title: 'Flotte: zentraler Verlauf',
    readOnly: 'Nur lesend, aus der zentralen Datenbank der Flotte. Zeiten in UTC.',
    notConfigured: 'Diese Konsole hat keinen zentralen Verlauf: den Serve-Modus mit --fleet-postgres <url> starten.',
    site: 'Standort',
    pickSite: 'Standort wählen…',
    noSites: 'Der zentrale Verlauf hat noch keinen Standort.',
    state: 'Zustand {state}, zuletzt gehört {time}',
    runsOf: 'Läufe: {n}',
    noRuns: 'Keine Läufe dieses Standorts im zentralen Verlauf.',
    show: 'Verläufe',
    trendsOf: 'Verläufe um {run}',
    noData: 'Keine Messwerte der gewählten Reihen in diesem Zeitraum.',
    events: 'Ereignisse',
    loading: 'wird geladen…',
  },
};
