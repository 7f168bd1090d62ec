import { computed } from 'vue';
import type { Ref } from 'vue';

import type { Theme } from '../stores/settings';

/** Chart colours per theme: high contrast on both, distinguishable without relying on red/green alone. */
export function chartColors(theme: Theme) {
  const dark = theme === 'dark';
  return {
    grid: dark ? 'rgba(255,255,255,0.16)' : 'rgba(0,0,0,0.12)',
    text: dark ? '#e8eaed' : '#1b1f24',
    measured: dark ? '#7cc4ff' : '#0b5cad',
    target: dark ? '#ffd166' : '#111111',
    band: dark ? 'rgba(255,209,102,0.18)' : 'rgba(17,17,17,0.10)',
    deadbeat: dark ? '#ff9f7a' : '#b4410e',
    /** Forecasts (dashed), apart from every measured colour. */
    forecast: dark ? '#d7a6ff' : '#6d28d9',
    palette: dark
      ? ['#7cc4ff', '#ffd166', '#9be39b', '#ff9f7a', '#d7a6ff', '#6ee7e7', '#f9a8d4', '#c0c0c0', '#fde68a', '#a5b4fc', '#86efac', '#fca5a5']
      : ['#0b5cad', '#111111', '#1f7a1f', '#b4410e', '#6d28d9', '#0e7490', '#be185d', '#525252', '#a16207', '#3730a3', '#15803d', '#b91c1c'],
  };
}

export function useChartColors(theme: Readonly<Ref<Theme>>) {
  return computed(() => chartColors(theme.value));
}
