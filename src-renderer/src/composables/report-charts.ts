/**
 * The trial report's plots as still images: breaker measured against the target with the tolerance band,
 * BESS power and state of charge, and the flexibility band. Drawn by chart.js on a canvas that is never in
 * the page, then kept as a PNG data URL: an <img> prints and goes into the host's PDF as it is (a live
 * canvas may not), and the same URL is the chart's PNG download.
 *
 * `reportCharts` (which lines, from which stored series) is pure and unit-tested; `renderChartPng` needs a
 * DOM and is covered by the browser test.
 */
import { Chart, Filler, LinearScale, LineController, LineElement, PointElement } from 'chart.js';
import type { ChartDataset, Plugin } from 'chart.js';

import type { SeriesData } from '../api';
import { formatTime, formatValue } from './format';
import type { Locale } from './format';

Chart.register(LineController, LineElement, PointElement, LinearScale, Filler);

export type Translate = (key: string, values?: Record<string, unknown>) => string;

export interface ReportLine {
  id: string;
  label: string;
  color: string;
  points: Array<{ x: number; y: number | null }>;
  dashed?: boolean;
  stepped?: boolean;
  /** On the right axis (the state of charge's %). */
  right?: boolean;
}

export interface ReportChart {
  id: 'breaker' | 'bess' | 'flex';
  title: string;
  yTitle: string;
  /** The right axis' title when a line uses it. */
  y1Title?: string;
  lines: ReportLine[];
  /** A shaded band between two edges (tolerance, flexibility), drawn under the lines. */
  band: { label: string; color: string; lo: Array<{ x: number; y: number | null }>; hi: Array<{ x: number; y: number | null }> } | null;
  /** Nothing to draw: the report says so instead of printing an empty frame. */
  empty: boolean;
  /** Gaps wider than this break the lines, ms. */
  maxGapMs: number;
}

/** Print colours: the report is printed on white whatever the console's theme. */
const INK = { measured: '#0b5cad', target: '#111111', band: 'rgba(17,17,17,0.13)', bess: '#b4410e', soc: '#1f7a1f', flex: 'rgba(11,92,173,0.18)', flexEdge: '#0b5cad', grid: 'rgba(0,0,0,0.14)', text: '#1b1f24' };

/**
 * A series' buckets with data: a bucket can be shorter than the sample period (a short run over many
 * buckets), so empty buckets are left out, and the line breaks only at a real gap (`maxGapMs`).
 */
const points = (d: SeriesData | null | undefined): Array<{ x: number; y: number | null }> => {
  const out: Array<{ x: number; y: number | null }> = [];
  if (d) d.timeMs.forEach((x, i) => {
    const y = d.mean[i];
    if (y !== null && y !== undefined) out.push({ x, y });
  });
  return out;
};

/** The widest gap a line bridges: 2.5 times the median spacing of the points (a dropout still shows). */
export function maxGapMs(lines: ReadonlyArray<ReadonlyArray<{ x: number }>>): number {
  const gaps: number[] = [];
  for (const p of lines) for (let i = 1; i < p.length; i++) gaps.push(p[i]!.x - p[i - 1]!.x);
  if (gaps.length === 0) return 25_000;
  gaps.sort((a, b) => a - b);
  return 2.5 * gaps[Math.floor(gaps.length / 2)]!;
}
const hasData = (p: Array<{ y: number | null }>) => p.some((q) => q.y !== null);

/**
 * The three charts of a run from its stored series (`breaker.measuredKw`, `breaker.targetKw`,
 * `breaker.toleranceKw`, `<bess>.powerKw`, `<bess>.socPct`, `flex.downKw`, `flex.upKw`). The tolerance
 * band is the target ± the tolerance in force at each bucket (the trigger's when the series has none).
 */
export function reportCharts(series: Record<string, SeriesData | null>, bessId: string, toleranceKw: number | null, t: Translate): ReportChart[] {
  const measured = points(series['breaker.measuredKw']);
  const target = points(series['breaker.targetKw']);
  const tol = series['breaker.toleranceKw'];
  const tolAt = (i: number, x: number): number | null => {
    if (tol) {
      const j = tol.timeMs.indexOf(x);
      const v = j >= 0 ? tol.mean[j] : tol.mean[i];
      if (v !== null && v !== undefined) return v;
    }
    return toleranceKw;
  };
  const lo = target.map((p, i) => ({ x: p.x, y: p.y === null || tolAt(i, p.x) === null ? null : p.y - tolAt(i, p.x)! }));
  const hi = target.map((p, i) => ({ x: p.x, y: p.y === null || tolAt(i, p.x) === null ? null : p.y + tolAt(i, p.x)! }));
  const bessP = points(series[`${bessId}.powerKw`]);
  const soc = points(series[`${bessId}.socPct`]);
  const down = points(series['flex.downKw']);
  const up = points(series['flex.upKw']);
  return [
    {
      id: 'breaker',
      title: t('reportChart.breaker'),
      yTitle: 'kW',
      lines: [
        { id: 'measured', label: t('reportChart.measured'), color: INK.measured, points: measured },
        { id: 'target', label: t('reportChart.target'), color: INK.target, points: target, dashed: true, stepped: true },
      ],
      band: hasData(lo) ? { label: t('reportChart.tolerance'), color: INK.band, lo, hi } : null,
      empty: !hasData(measured) && !hasData(target),
      maxGapMs: maxGapMs([measured, target]),
    },
    {
      id: 'bess',
      title: t('reportChart.bess'),
      yTitle: 'kW',
      y1Title: '%',
      lines: [
        { id: 'bessKw', label: t('reportChart.bessKw'), color: INK.bess, points: bessP },
        { id: 'socPct', label: t('reportChart.socPct'), color: INK.soc, points: soc, right: true },
      ],
      band: null,
      empty: !hasData(bessP) && !hasData(soc),
      maxGapMs: maxGapMs([bessP, soc]),
    },
    {
      id: 'flex',
      title: t('reportChart.flex'),
      yTitle: 'kW',
      lines: [
        { id: 'downKw', label: t('reportChart.flexDown'), color: INK.flexEdge, points: down, dashed: true },
        { id: 'upKw', label: t('reportChart.flexUp'), color: INK.flexEdge, points: up },
      ],
      band: hasData(down) && hasData(up) ? { label: t('reportChart.flexBand'), color: INK.flex, lo: down, hi: up } : null,
      empty: !hasData(down) && !hasData(up),
      maxGapMs: maxGapMs([down, up]),
    },
  ];
}

/** White under everything, so the PNG is not transparent when downloaded or printed. */
const whiteBackground: Plugin<'line'> = {
  id: 'lfcWhite',
  beforeDraw(chart) {
    const { ctx, width, height } = chart;
    ctx.save();
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, width, height);
    ctx.restore();
  },
};

/** A round tick step for a time span: at most ~10 ticks, each a whole number of minutes or hours. */
export function tickStepMs(spanMs: number): number {
  const steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400].map((s) => s * 1000);
  return steps.find((s) => spanMs / s <= 10) ?? steps[steps.length - 1]!;
}

/**
 * The legend, drawn into the image (chart.js's own legend plugin is not registered: registering it would
 * give every Trends chart one too): a swatch and the label of each line and of the band, along the top.
 */
function legendPlugin(items: Array<{ label: string; color: string; dashed?: boolean; fill?: boolean }>): Plugin<'line'> {
  return {
    id: 'lfcReportLegend',
    afterDraw(chart) {
      const { ctx } = chart;
      ctx.save();
      ctx.font = '15px sans-serif';
      ctx.textBaseline = 'middle';
      let x = chart.chartArea.left;
      const y = 16;
      for (const it of items) {
        if (it.fill) {
          ctx.fillStyle = it.color;
          ctx.fillRect(x, y - 7, 28, 14);
        } else {
          ctx.strokeStyle = it.color;
          ctx.lineWidth = 3;
          ctx.setLineDash(it.dashed ? [6, 4] : []);
          ctx.beginPath();
          ctx.moveTo(x, y);
          ctx.lineTo(x + 28, y);
          ctx.stroke();
        }
        ctx.fillStyle = INK.text;
        ctx.fillText(it.label, x + 34, y);
        x += 34 + ctx.measureText(it.label).width + 22;
      }
      ctx.restore();
    },
  };
}

/**
 * Draws one report chart on a detached canvas and returns it as a PNG data URL. The time axis is the site's
 * wall time (`timeZone`), so the image reads as the report's tables do; numbers in the locale's format.
 */
export function renderChartPng(chart: ReportChart, o: { locale: Locale; timeZone: string; xMinMs: number; xMaxMs: number; xTitle: string; widthPx?: number; heightPx?: number }): string {
  const canvas = document.createElement('canvas');
  canvas.width = o.widthPx ?? 1200;
  canvas.height = o.heightPx ?? 380;
  const datasets: Array<ChartDataset<'line', Array<{ x: number; y: number | null }>>> = [];
  if (chart.band) {
    datasets.push({ label: `${chart.band.label} (lo)`, data: chart.band.lo, borderWidth: 0, pointRadius: 0, fill: false, borderColor: 'transparent', spanGaps: chart.maxGapMs, stepped: 'before', yAxisID: 'y', order: 3 });
    datasets.push({ label: chart.band.label, data: chart.band.hi, borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: chart.band.color, borderColor: 'transparent', spanGaps: chart.maxGapMs, stepped: 'before', yAxisID: 'y', order: 3 });
  }
  for (const l of chart.lines) {
    datasets.push({ label: l.label, data: l.points, borderColor: l.color, backgroundColor: l.color, borderWidth: 2, pointRadius: 0, borderDash: l.dashed ? [6, 4] : [], stepped: l.stepped ? 'before' : false, spanGaps: chart.maxGapMs, fill: false, yAxisID: l.right ? 'y1' : 'y', order: 1 });
  }
  const n = (v: number | string, digits: number) => formatValue(Number(v), '', o.locale, digits);
  const withRight = chart.lines.some((l) => l.right);
  const c = new Chart<'line', Array<{ x: number; y: number | null }>>(canvas, {
    type: 'line',
    data: { datasets },
    plugins: [whiteBackground, legendPlugin([...chart.lines.map((l) => ({ label: l.label, color: l.color, dashed: !!l.dashed })), ...(chart.band ? [{ label: chart.band.label, color: chart.band.color, fill: true }] : [])])],
    options: {
      responsive: false,
      animation: false,
      devicePixelRatio: 1,
      parsing: false,
      normalized: true,
      events: [],
      layout: { padding: { top: 34, right: 8 } },
      scales: {
        x: {
          type: 'linear',
          min: o.xMinMs,
          max: o.xMaxMs,
          grid: { color: INK.grid },
          ticks: { color: INK.text, font: { size: 13 }, stepSize: tickStepMs(o.xMaxMs - o.xMinMs), callback: (v) => formatTime(Number(v), o.locale, o.timeZone).slice(0, 5) },
          title: { display: true, text: o.xTitle, color: INK.text, font: { size: 13 } },
        },
        y: {
          type: 'linear',
          grid: { color: INK.grid },
          ticks: { color: INK.text, font: { size: 13 }, callback: (v) => n(v, 0) },
          title: { display: true, text: chart.yTitle, color: INK.text, font: { size: 13 } },
        },
        ...(withRight
          ? {
              y1: {
                type: 'linear' as const,
                position: 'right' as const,
                min: 0,
                max: 100,
                grid: { drawOnChartArea: false },
                ticks: { color: INK.text, font: { size: 13 }, callback: (v: number | string) => n(v, 0) },
                title: { display: true, text: chart.y1Title ?? '%', color: INK.text, font: { size: 13 } },
              },
            }
          : {}),
      },
    },
  });
  const url = c.toBase64Image('image/png');
  c.destroy();
  return url;
}
