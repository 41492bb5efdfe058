import * as React from 'react';
import uPlot from 'uplot';

import type { MetricPoint } from '../api/client';
import { trans } from '../translate';

export interface IMetricSeries {
  label: string;
  points: ReadonlyArray<MetricPoint>;
  /** Draw its points only, no line (values that are not a history: one per sweep trial). */
  dots?: boolean;
}

/** Colours readable on light and dark themes. */
export const SERIES_COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#17becf'
];

/**
 * Align several step/value histories on one x axis (the union of steps), with
 * gaps where a series has no value: the data layout uPlot draws.
 */
export function alignSeries(series: ReadonlyArray<IMetricSeries>): uPlot.AlignedData {
  const steps = new Set<number>();
  series.forEach(s => s.points.forEach(p => steps.add(p.step)));
  const xs = [...steps].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = series.map(s => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    // The last value logged at a step wins, like MLflow's own charts.
    [...s.points]
      .sort((a, b) => a.timestamp - b.timestamp)
      .forEach(p => (column[index.get(p.step)!] = p.value));
    return column;
  });
  return [xs, ...ys] as uPlot.AlignedData;
}

/** Tick spacings of an axis of whole numbers. */
const WHOLE_INCREMENTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000];

function cssVar(element: Element, name: string, fallback: string): string {
  const value = getComputedStyle(element).getPropertyValue(name).trim();
  return value || fallback;
}

/**
 * Changes when JupyterLab's theme does: a chart reads its axis and grid colours from the theme's
 * CSS variables when it is drawn, so it is drawn again (a dark theme's chart kept light axes).
 */
function useTheme(): string {
  const read = () => `${document.body.dataset.jpThemeName ?? ''}/${document.body.dataset.jpThemeLight ?? ''}`;
  const [theme, setTheme] = React.useState(read);
  React.useEffect(() => {
    if (typeof MutationObserver === 'undefined') {
      return;
    }
    const observer = new MutationObserver(() => setTheme(read()));
    observer.observe(document.body, { attributes: true, attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light'] });
    return () => observer.disconnect();
  }, []);
  return theme;
}

export interface IMetricChartProps {
  title: string;
  series: ReadonlyArray<IMetricSeries>;
  height?: number;
  /** What the x axis counts (default: step). */
  xLabel?: string;
  /** Ticks on whole numbers of x only (trial numbers). */
  wholeX?: boolean;
}

/** A metric over steps (one or several runs overlaid), drawn with uPlot. */
export function MetricChart(props: IMetricChartProps): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const plot = React.useRef<uPlot | null>(null);
  const height = props.height ?? 180;
  const data = React.useMemo(() => alignSeries(props.series), [props.series]);
  const labels = props.series.map(s => s.label).join('\u0000');
  const xLabel = props.xLabel ?? trans.__('step');
  const theme = useTheme();

  // (Re)create the plot when the set of series changes; otherwise just feed data.
  React.useEffect(() => {
    const element = host.current;
    if (!element) {
      return;
    }
    const axisColor = cssVar(element, '--jp-ui-font-color2', '#616161');
    const gridColor = cssVar(element, '--jp-border-color2', '#e0e0e0');
    const axis = {
      stroke: axisColor,
      grid: { stroke: gridColor, width: 1 },
      ticks: { stroke: gridColor, width: 1 }
    };
    const options: uPlot.Options = {
      width: Math.max(element.clientWidth, 200),
      height,
      legend: { show: props.series.length > 1 },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: false } },
      axes: [{ ...axis, label: xLabel, ...(props.wholeX ? { incrs: WHOLE_INCREMENTS } : {}) }, { ...axis, size: 60 }],
      series: [
        { label: xLabel },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: SERIES_COLORS[i % SERIES_COLORS.length],
          width: 2,
          spanGaps: true,
          ...(s.dots ? { paths: () => null, points: { show: true, size: 7 } } : { points: { show: data[0].length < 40 } })
        }))
      ]
    };
    plot.current = new uPlot(options, data, element);
    let observer: ResizeObserver | null = null;
    if (typeof ResizeObserver !== 'undefined') {
      observer = new ResizeObserver(() => {
        if (plot.current && element.clientWidth > 0) {
          plot.current.setSize({ width: element.clientWidth, height });
        }
      });
      observer.observe(element);
    }
    return () => {
      observer?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [labels, height, xLabel, theme, props.wholeX]);

  React.useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure className="jp-mlservice-chart" data-metric={props.title}>
      <figcaption className="jp-mlservice-chart-title">{props.title}</figcaption>
      <div ref={host} className="jp-mlservice-chart-canvas" />
    </figure>
  );
}
