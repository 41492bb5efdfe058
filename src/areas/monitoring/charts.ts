/**
 * The maths behind the Monitoring charts, kept apart from drawing so Jest checks it: an
 * endpoint's time series as chart lines, a signal's per-feature results over runs as a heatmap,
 * a feature's baseline vs window histogram as bars, the data-quality rates of a run, and which
 * alerts a later run resolved.
 */
import type { Alert, EndpointSeries, FeatureResult, FeatureSeries, MonitorHistogram, MonitorRun } from '../../api/client';

/** One line of a time chart: (time in ms, value) points; a null value breaks the line. */
export interface ITimeLine {
  label: string;
  points: { t: number; v: number | null }[];
}

/** What an endpoint's charts show: one line per deployment (latency: p50 and p99 of each). */
export interface IEndpointCharts {
  requestRate: ITimeLine[];
  errorRate: ITimeLine[];
  latency: ITimeLine[];
}

/** The endpoint's series (GET /endpoints/{name}/series) as the lines of its three charts. */
export function endpointCharts(series: Pick<EndpointSeries, 'deployments'>): IEndpointCharts {
  const out: IEndpointCharts = { requestRate: [], errorRate: [], latency: [] };
  for (const [deployment, points] of Object.entries(series.deployments ?? {}).sort(([a], [b]) => a.localeCompare(b))) {
    const at = (p: { time: string }) => Date.parse(p.time);
    out.requestRate.push({ label: deployment, points: points.map(p => ({ t: at(p), v: p.request_rate })) });
    out.errorRate.push({ label: deployment, points: points.map(p => ({ t: at(p), v: p.error_rate })) });
    out.latency.push({ label: `${deployment} p50`, points: points.map(p => ({ t: at(p), v: p.p50_ms ?? null })) });
    out.latency.push({ label: `${deployment} p99`, points: points.map(p => ({ t: at(p), v: p.p99_ms ?? null })) });
  }
  return out;
}

/** The box a time chart draws into and the ranges it maps. */
export interface ITimeFrame {
  t0: number;
  t1: number;
  max: number;
}

/** The ranges of some lines: time from first to last point, values from 0 to the largest (at least `floor`). */
export function timeFrame(lines: ReadonlyArray<ITimeLine>, floor = 0): ITimeFrame | null {
  const ts = lines.flatMap(l => l.points.map(p => p.t)).filter(Number.isFinite);
  if (ts.length === 0) {
    return null;
  }
  const values = lines.flatMap(l => l.points.map(p => p.v)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  let t0 = Math.min(...ts);
  let t1 = Math.max(...ts);
  if (t1 === t0) {
    t0 -= 30000;
    t1 += 30000;
  }
  const max = Math.max(floor, ...values);
  return { t0, t1, max: max > 0 ? max : 1 };
}

/**
 * A line as SVG polyline point lists in a `width` x `height` box (y down): one list per run of
 * points with values (a null value, no data, breaks the line).
 */
export function lineSegments(line: ITimeLine, frame: ITimeFrame, width: number, height: number): string[] {
  const segments: string[] = [];
  let current: string[] = [];
  for (const p of [...line.points].sort((a, b) => a.t - b.t)) {
    if (p.v === null || !Number.isFinite(p.v)) {
      if (current.length > 0) {
        segments.push(current.join(' '));
      }
      current = [];
      continue;
    }
    const x = ((p.t - frame.t0) / (frame.t1 - frame.t0)) * width;
    const y = height - (p.v / frame.max) * height;
    current.push(`${round(x)},${round(y)}`);
  }
  if (current.length > 0) {
    segments.push(current.join(' '));
  }
  return segments;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** One cell of a heatmap: a feature's result in one run. */
export interface IHeatCell {
  runId: number;
  statistic: number | null;
  threshold: number | null;
  breached: boolean;
  /** statistic / threshold (1: at the threshold), null without both. */
  ratio: number | null;
}

/** A signal's results as a heatmap: runs oldest first (columns), features (rows), drifted ones first. */
export interface IHeatmap {
  runs: { id: number; windowEnd: string }[];
  features: { name: string; breachedLast: boolean; cells: (IHeatCell | null)[] }[];
}

export function heatmap(series: Pick<FeatureSeries, 'features'>): IHeatmap {
  const runs = new Map<number, string>();
  for (const points of Object.values(series.features ?? {})) {
    points.forEach(p => runs.set(p.run_id, p.window_end));
  }
  const columns = [...runs.entries()].sort((a, b) => a[0] - b[0]).map(([id, windowEnd]) => ({ id, windowEnd }));
  const index = new Map(columns.map((c, i) => [c.id, i]));
  const features = Object.entries(series.features ?? {}).map(([name, points]) => {
    const cells: (IHeatCell | null)[] = new Array(columns.length).fill(null);
    for (const p of points) {
      const ratio = p.statistic !== null && p.threshold !== null && p.threshold > 0 ? p.statistic / p.threshold : null;
      cells[index.get(p.run_id)!] = { runId: p.run_id, statistic: p.statistic, threshold: p.threshold, breached: p.breached, ratio };
    }
    const last = [...cells].reverse().find(c => c !== null);
    return { name, breachedLast: last?.breached ?? false, cells };
  });
  features.sort((a, b) => Number(b.breachedLast) - Number(a.breachedLast) || a.name.localeCompare(b.name));
  return { runs: columns, features };
}

/**
 * A cell's colour, readable under dark or light text: from pale blue (far below the threshold)
 * through yellow (at it) to red (twice it and more); no result: none.
 */
export function heatColour(cell: IHeatCell | null): string | undefined {
  if (!cell) {
    return undefined;
  }
  if (cell.ratio === null) {
    return cell.breached ? 'hsla(0, 80%, 50%, 0.55)' : undefined;
  }
  const r = Math.min(2, Math.max(0, cell.ratio)) / 2; // 0..1, 0.5 at the threshold
  const hue = Math.round(210 - r * 210);
  return `hsla(${hue}, 80%, 50%, ${(0.15 + r * 0.5).toFixed(2)})`;
}

/** One bin of an overlaid histogram: its label and both shares. */
export interface IOverlayBin {
  label: string;
  baseline: number;
  window: number;
}

/** The bins of a run's histogram of one feature (shares, as the server sends them). */
export function overlayBins(histogram: Pick<MonitorHistogram, 'labels' | 'baseline' | 'window'>): IOverlayBin[] {
  const labels = histogram.labels ?? [];
  return labels.map((label, i) => ({ label, baseline: histogram.baseline?.[i] ?? 0, window: histogram.window?.[i] ?? 0 }));
}

/** One rate of the data-quality table: the window's, the baseline's (or what was expected), the threshold, the verdict. */
export interface IQualityRate {
  rate: number;
  baseline: number | null;
  threshold: number | null;
  breached: boolean;
}

export const QUALITY_CHECKS = ['null_rate', 'type_mismatch_rate', 'out_of_range_rate', 'unseen_category_rate'] as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

/** A run's data-quality results: one row per feature with each rate it was checked for. */
export function qualityRows(
  features: ReadonlyArray<FeatureResult>
): { feature: string; kind: string | null; breached: boolean; rates: Partial<Record<QualityCheck, IQualityRate>> }[] {
  return features
    .filter(f => f.signal === 'data_quality')
    .map(f => {
      const checks = ((f.details ?? {}) as { checks?: Record<string, Record<string, unknown>> }).checks ?? {};
      const rates: Partial<Record<QualityCheck, IQualityRate>> = {};
      for (const name of QUALITY_CHECKS) {
        const c = checks[name];
        if (c && typeof c.rate === 'number') {
          const base = typeof c.baseline_rate === 'number' ? c.baseline_rate : typeof c.expected_rate === 'number' ? c.expected_rate : null;
          rates[name] = { rate: c.rate, baseline: base, threshold: typeof c.threshold === 'number' ? c.threshold : null, breached: !!c.breached };
        }
      }
      return { feature: f.feature, kind: f.kind ?? null, breached: f.breached, rates };
    });
}

/** An alert fired by a run; resolved by the first later completed run in which no signal breached. */
export interface IAlertState {
  alert: Alert;
  resolvedBy: Pick<MonitorRun, 'id' | 'window_end'> | null;
}

export function alertStates(alerts: ReadonlyArray<Alert>, runs: ReadonlyArray<MonitorRun>): IAlertState[] {
  const clean = runs.filter(r => r.state === 'Completed' && r.breached === false).sort((a, b) => a.id - b.id);
  return alerts.map(alert => ({ alert, resolvedBy: clean.find(r => r.id > alert.run_id) ?? null }));
}

/** The feature a run's histogram opens on: the given one if the run has it, else its most drifted, else the first. */
export function pickFeature(features: ReadonlyArray<FeatureResult>, histograms: Record<string, unknown>, wanted: string | null): string | null {
  if (wanted && wanted in histograms) {
    return wanted;
  }
  const drift = features
    .filter(f => f.signal === 'data_drift' && f.feature in histograms)
    .sort((a, b) => Number(b.breached) - Number(a.breached) || ratioOf(b) - ratioOf(a));
  return drift[0]?.feature ?? Object.keys(histograms)[0] ?? null;
}

function ratioOf(f: FeatureResult): number {
  return f.statistic !== null && f.statistic !== undefined && f.threshold ? f.statistic / f.threshold : 0;
}

/** The features a breached signal names, with the values its run judged: `petal_width 2.887 (threshold 0.1)`. */
export function breachedValues(
  signal: string,
  features: ReadonlyArray<FeatureResult>
): { feature: string; statistic: number | null; threshold: number | null; method: string | null }[] {
  return features
    .filter(f => f.signal === signal && f.breached)
    .map(f => ({ feature: f.feature, statistic: f.statistic ?? null, threshold: f.threshold ?? null, method: f.method ?? null }));
}
