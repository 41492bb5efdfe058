/**
 * The maths behind a sweep's charts, kept apart from drawing so Jest checks it: the best
 * objective so far over trials, and the axes of the parallel-coordinates plot (each parameter's
 * range as the search space declares it, then the objective).
 */
import type { MetricPoint, SearchParameter, SweepTrial } from '../../api/client';

export type Goal = 'maximize' | 'minimize';

/** What the charts read of a trial. */
export type ChartTrial = Pick<SweepTrial, 'number' | 'state' | 'value' | 'params'>;

/** Whether `a` is a better objective than `b` for this goal. */
export function better(a: number, b: number, goal: Goal): boolean {
  return goal === 'maximize' ? a > b : a < b;
}

/**
 * The objective of each completed trial and the best one so far after it, in trial order
 * (a pruned trial's value is an intermediate one: it never counts as the best, as on the server).
 */
export function bestSoFar(trials: ReadonlyArray<ChartTrial>, goal: Goal): { number: number; value: number; best: number }[] {
  const done = trials
    .filter(t => t.state === 'completed' && typeof t.value === 'number' && Number.isFinite(t.value))
    .sort((a, b) => a.number - b.number);
  let best: number | null = null;
  return done.map(t => {
    const value = t.value as number;
    best = best === null || better(value, best, goal) ? value : best;
    return { number: t.number, value, best };
  });
}

/** Points a MetricChart draws with the trial number as its x ("step"). */
export function trialPoints(values: ReadonlyArray<{ number: number; value: number }>): MetricPoint[] {
  return values.map(v => ({ step: v.number, value: v.value, timestamp: 0 }));
}

/** One vertical axis of the parallel-coordinates plot. */
export interface IAxis {
  /** A parameter's name, or the objective metric's. */
  name: string;
  scale: 'linear' | 'log' | 'category';
  /** Category axes: the values from bottom to top. */
  categories: string[];
  min: number;
  max: number;
  /** Where a value sits on the axis, from 0 (bottom) to 1 (top); null when it has none. */
  position: (value: unknown) => number | null;
  /** Tick labels from bottom to top: the range's ends, or every category. */
  ticks: { at: number; label: string }[];
}

/** A short label of a number for an axis tick. */
export function tickLabel(value: number): string {
  if (value === 0) {
    return '0';
  }
  const magnitude = Math.abs(value);
  return magnitude >= 1e4 || magnitude < 1e-3 ? value.toExponential(1) : String(Number(value.toPrecision(3)));
}

function numericAxis(name: string, scale: 'linear' | 'log', low: number, high: number): IAxis {
  let min = low;
  let max = high;
  if (!(max > min)) {
    // One value (or none): centre it.
    const pad = scale === 'log' ? 0 : Math.abs(min) * 0.1 || 1;
    min = scale === 'log' ? min / 10 : min - pad;
    max = scale === 'log' ? max * 10 : max + pad;
  }
  const f = scale === 'log' ? Math.log10 : (x: number) => x;
  const [fmin, fmax] = [f(min), f(max)];
  return {
    name,
    scale,
    categories: [],
    min,
    max,
    position: value => {
      if (typeof value !== 'number' || !Number.isFinite(value) || (scale === 'log' && value <= 0)) {
        return null;
      }
      return Math.min(1, Math.max(0, (f(value) - fmin) / (fmax - fmin)));
    },
    ticks: [
      { at: 0, label: tickLabel(min) },
      { at: 1, label: tickLabel(max) }
    ]
  };
}

function categoryAxis(name: string, values: ReadonlyArray<unknown>): IAxis {
  const categories = [...new Set(values.map(v => String(v)))];
  const at = (i: number) => (categories.length === 1 ? 0.5 : i / (categories.length - 1));
  return {
    name,
    scale: 'category',
    categories,
    min: 0,
    max: Math.max(categories.length - 1, 0),
    position: value => {
      const i = categories.indexOf(String(value));
      return i < 0 ? null : at(i);
    },
    ticks: categories.map((label, i) => ({ at: at(i), label }))
  };
}

function observed(values: ReadonlyArray<unknown>): number[] {
  return values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
}

/**
 * The axes of the parallel-coordinates plot: each parameter of the search space in its order
 * (choice: its values as categories; uniform, randint: the declared range; loguniform: the
 * declared range on a log scale; normal: the values sampled), then the objective over the values
 * the trials reported.
 */
export function parallelAxes(
  trials: ReadonlyArray<ChartTrial>,
  space: Readonly<Record<string, SearchParameter>>,
  objective: string
): IAxis[] {
  const axes = Object.entries(space).map(([name, p]) => {
    const sampled = trials.map(t => t.params?.[name]);
    switch (p.type) {
      case 'choice':
        return categoryAxis(name, [...(p.values ?? []), ...sampled.filter(v => v !== undefined)]);
      case 'loguniform':
        return numericAxis(name, 'log', p.low ?? Math.min(...observed(sampled)), p.high ?? Math.max(...observed(sampled)));
      case 'uniform':
      case 'randint':
        return numericAxis(name, 'linear', p.low ?? Math.min(...observed(sampled)), p.high ?? Math.max(...observed(sampled)));
      default: {
        const values = observed(sampled);
        return values.length > 0
          ? numericAxis(name, 'linear', Math.min(...values), Math.max(...values))
          : numericAxis(name, 'linear', (p.mu ?? 0) - 2 * (p.sigma ?? 1), (p.mu ?? 0) + 2 * (p.sigma ?? 1));
      }
    }
  });
  const values = observed(trials.map(t => t.value));
  axes.push(
    values.length > 0 ? numericAxis(objective, 'linear', Math.min(...values), Math.max(...values)) : numericAxis(objective, 'linear', 0, 1)
  );
  return axes;
}

/** How good a value is among the trials': 1 the best, 0 the worst (for the lines' colour). */
export function quality(value: number, axis: Pick<IAxis, 'min' | 'max'>, goal: Goal): number {
  if (!(axis.max > axis.min)) {
    return 1;
  }
  const q = (value - axis.min) / (axis.max - axis.min);
  return Math.min(1, Math.max(0, goal === 'maximize' ? q : 1 - q));
}

/**
 * A trial's line across the axes, as (x, y) in a box of `width` x `height` (y down, as SVG):
 * one point per axis it has a value on.
 */
export function trialLine(
  trial: ChartTrial,
  axes: ReadonlyArray<IAxis>,
  width: number,
  height: number
): { x: number; y: number }[] {
  const step = axes.length > 1 ? width / (axes.length - 1) : 0;
  const points: { x: number; y: number }[] = [];
  axes.forEach((axis, i) => {
    const value = i === axes.length - 1 ? trial.value : trial.params?.[axis.name];
    const at = axis.position(value);
    if (at !== null) {
      points.push({ x: i * step, y: height - at * height });
    }
  });
  return points;
}
