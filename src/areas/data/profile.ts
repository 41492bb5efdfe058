/**
 * Reading what the server stores without a schema of its own: a version's profile (a JSON object
 * the profile job writes, `core/data/profile.py`) and a job's lineage edges to data versions.
 * Pure functions; the views render what these return.
 */
import type { Job, LineageGraph } from '../../api/client';

/** One bar of a histogram: [from, to) and how many values fell in it. */
export interface IBin {
  from: number;
  to: number;
  count: number;
}

/** What the profile says of one column. */
export interface IColumnProfile {
  name: string;
  /** The Arrow type (`int64`, `string`, `timestamp[us]`...). */
  type: string;
  /** number, text, boolean, datetime or other. */
  kind: string;
  nulls: number;
  nullFraction: number;
  distinct: number | null;
  distinctExact: boolean;
  min?: unknown;
  max?: unknown;
  mean?: number;
  std?: number;
  quantiles: [string, number][];
  bins: IBin[];
  /** The histogram's counts are scaled from a sample. */
  estimated: boolean;
  top: { value: unknown; count: number }[];
}

/** A version's profile, read defensively (an older profile may lack a field). */
export interface IProfileView {
  rows: number | null;
  files: number | null;
  bytes: number | null;
  format: string | null;
  columns: IColumnProfile[];
  /** The first rows (at most 100), as the profile job read them. */
  sample: Record<string, unknown>[];
  /** Column names of the preview, in the data's order. */
  sampleColumns: string[];
  /** Files by extension (`.csv` -> 3), for folders. */
  byExtension: [string, number][];
  /** Image folders: width and height ranges in pixels. */
  images: { width: [number, number]; height: [number, number] } | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** The bins of a `{edges, counts}` histogram (edges has one more entry than counts). */
export function histogramBins(histogram: unknown): IBin[] {
  const h = (histogram ?? {}) as { edges?: unknown; counts?: unknown };
  const edges = Array.isArray(h.edges) ? h.edges : [];
  const counts = Array.isArray(h.counts) ? h.counts : [];
  if (edges.length !== counts.length + 1) {
    return [];
  }
  return counts.map((count, i) => ({ from: Number(edges[i]), to: Number(edges[i + 1]), count: Number(count) }));
}

function column(raw: Record<string, any>): IColumnProfile {
  const quantiles = Object.entries((raw.quantiles ?? {}) as Record<string, unknown>)
    .filter(([, v]) => num(v) !== null)
    .map(([q, v]) => [q, v as number] as [string, number])
    .sort((a, b) => Number(a[0]) - Number(b[0]));
  return {
    name: String(raw.name ?? ''),
    type: String(raw.type ?? ''),
    kind: String(raw.kind ?? 'other'),
    nulls: num(raw.nulls) ?? 0,
    nullFraction: num(raw.null_fraction) ?? 0,
    distinct: num(raw.distinct),
    distinctExact: raw.distinct_exact !== false,
    min: raw.min,
    max: raw.max,
    mean: num(raw.mean) ?? undefined,
    std: num(raw.std) ?? undefined,
    quantiles,
    bins: histogramBins(raw.histogram),
    estimated: !!raw.histogram?.estimated,
    top: Array.isArray(raw.top_values) ? raw.top_values.map((t: any) => ({ value: t?.value, count: num(t?.count) ?? 0 })) : []
  };
}

/** The profile as the views show it; null when there is none yet. */
export function readProfile(profile: Record<string, unknown> | null | undefined): IProfileView | null {
  if (!profile) {
    return null;
  }
  const columns = Array.isArray(profile.columns) ? profile.columns.map(c => column((c ?? {}) as Record<string, any>)) : [];
  const sample = Array.isArray(profile.sample) ? (profile.sample as Record<string, unknown>[]) : [];
  const sampleColumns = columns.length > 0 ? columns.map(c => c.name) : Object.keys(sample[0] ?? {});
  return {
    rows: num(profile.rows),
    files: num(profile.files),
    bytes: num(profile.bytes),
    format: typeof profile.format === 'string' ? profile.format : null,
    columns,
    sample,
    sampleColumns,
    byExtension: Object.entries((profile.by_extension ?? {}) as Record<string, unknown>)
      .filter(([, n]) => num(n) !== null)
      .map(([ext, n]) => [ext, n as number] as [string, number]),
    images: readImages(profile.images)
  };
}

function readImages(raw: unknown): IProfileView['images'] {
  const images = (raw ?? {}) as { width?: { min?: unknown; max?: unknown }; height?: { min?: unknown; max?: unknown } };
  const w = [num(images.width?.min), num(images.width?.max)];
  const h = [num(images.height?.min), num(images.height?.max)];
  if ([...w, ...h].some(v => v === null)) {
    return null;
  }
  return { width: [w[0]!, w[1]!], height: [h[0]!, h[1]!] };
}

/** A cell of the preview as text: null and missing values are empty, objects as JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/** The version a lineage id names: `iris@2` -> {name: 'iris', version: '2'}. */
export function dataVersionOf(id: string): { name: string; version: string } | null {
  const at = id.lastIndexOf('@');
  if (at <= 0 || !/^\d+$/.test(id.slice(at + 1))) {
    return null;
  }
  return { name: id.slice(0, at), version: id.slice(at + 1) };
}

/** One data input or output of a job, as its view lists it. */
export interface IJobData {
  direction: 'input' | 'output';
  /** The input's or output's name (`${{inputs.train}}`). */
  name: string;
  /** What the job spec says: `data:iris@prod`, a server path, `folder -> iris-features`. */
  given: string;
  /** The data version it resolved to (input) or became (output), once known. */
  version: { name: string; version: string } | null;
  /** A model version the job read (`model:` inputs). */
  model: { name: string; version: string } | null;
}

/**
 * A job's data inputs and outputs: the spec's `inputs` and `outputs`, each with the data version
 * the lineage recorded for it (an input is resolved when the job starts; an output registered
 * when it completes).
 */
export function jobData(job: Pick<Job, 'id' | 'spec'>, graph: LineageGraph | null): IJobData[] {
  const spec = (job.spec ?? {}) as { inputs?: Record<string, string>; outputs?: Record<string, any> };
  const edges = graph?.edges ?? [];
  const rows: IJobData[] = [];
  for (const [name, given] of Object.entries(spec.inputs ?? {})) {
    const edge = edges.find(e => e.dst_type === 'job' && e.dst_id === job.id && e.relation === 'input' && e.attrs?.input === name);
    const isModel = edge?.src_type === 'model_version';
    const at = edge && isModel ? edge.src_id.lastIndexOf(':') : -1;
    rows.push({
      direction: 'input',
      name,
      given: String(given),
      version: edge && edge.src_type === 'data_version' ? dataVersionOf(edge.src_id) : null,
      model: edge && isModel && at > 0 ? { name: edge.src_id.slice(0, at), version: edge.src_id.slice(at + 1) } : null
    });
  }
  for (const [name, out] of Object.entries(spec.outputs ?? {})) {
    const edge = edges.find(e => e.src_type === 'job' && e.src_id === job.id && e.relation === 'output' && e.attrs?.output === name);
    const type = String(out?.type ?? 'folder');
    rows.push({
      direction: 'output',
      name,
      given: out?.register_as ? `${type} → ${out.register_as}` : type,
      version: edge && edge.dst_type === 'data_version' ? dataVersionOf(edge.dst_id) : null,
      model: null
    });
  }
  return rows;
}

/** Whether a job's spec names data inputs or outputs (only then is its lineage read). */
export function hasJobData(job: Pick<Job, 'spec'> | null): boolean {
  const spec = (job?.spec ?? {}) as { inputs?: object; outputs?: object };
  return Object.keys(spec.inputs ?? {}).length > 0 || Object.keys(spec.outputs ?? {}).length > 0;
}
