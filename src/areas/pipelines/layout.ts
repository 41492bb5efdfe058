/**
 * Where a pipeline's graph is drawn, kept apart from drawing so Jest checks it: a layered layout
 * (each node's column is its longest path from a source, left to right; nodes stacked in their
 * column, ordered to follow their predecessors) and the edges between them, one per pair of
 * nodes, labelled with the ports they carry. No graph library: a pipeline has a handful of steps.
 */
import type { PipelineEdge, PipelineStepView } from '../../api/client';

/** A node: a step, an input of the pipeline (a source) or an output of it (a sink). */
export interface IGraphNode {
  /** `step:<name>`, `in:<input>` or `out:<output>`. */
  id: string;
  kind: 'step' | 'input' | 'output';
  /** The step's or port's name. */
  name: string;
  /** The step, for a step node. */
  step: PipelineStepView | null;
  /** Column (0: leftmost) and place in it (0: top). */
  level: number;
  order: number;
  /** Top-left corner and size, in the drawing's units. */
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One drawn edge: every port edge between the same two nodes, in one curve. */
export interface IGraphEdge {
  from: string;
  to: string;
  /** `train → data` for each port edge it stands for. */
  ports: { from_port: string; to_port: string; kind: string }[];
  /** What the label says: the ports and what they carry (`train → data (folder)`). */
  label: string;
  /** Where it leaves its source (right middle) and enters its target (left middle). */
  start: { x: number; y: number };
  end: { x: number; y: number };
  /** An SVG path (a cubic curve) and where its label sits (the curve's middle). */
  path: string;
  labelAt: { x: number; y: number };
}

export interface IGraphLayout {
  nodes: IGraphNode[];
  edges: IGraphEdge[];
  width: number;
  height: number;
}

/** Sizes of the drawing (px at scale 1). */
export const SIZES = {
  stepWidth: 168,
  stepHeight: 62,
  portWidth: 120,
  portHeight: 28,
  gapX: 128,
  gapY: 28,
  margin: 16
};

export function stepNodeId(name: string): string {
  return `step:${name}`;
}

function endId(step: string | null, port: string, side: 'in' | 'out'): string {
  return step === null ? `${side}:${port}` : stepNodeId(step);
}

/**
 * Lay the graph out. Pipeline inputs and outputs that an edge names become nodes of their own;
 * step order within a column follows the mean place of the step's predecessors (fewer crossings),
 * ties by the order the server listed the steps. A cycle (the server refuses them) cannot hang it:
 * nodes left on a cycle go in the column after the last.
 */
export function layoutGraph(steps: ReadonlyArray<PipelineStepView>, edges: ReadonlyArray<PipelineEdge>): IGraphLayout {
  // The nodes, in a stable order: inputs, steps as listed, outputs.
  const nodes = new Map<string, IGraphNode>();
  const add = (id: string, kind: IGraphNode['kind'], name: string, step: PipelineStepView | null) => {
    if (!nodes.has(id)) {
      const [width, height] = kind === 'step' ? [SIZES.stepWidth, SIZES.stepHeight] : [SIZES.portWidth, SIZES.portHeight];
      nodes.set(id, { id, kind, name, step, level: 0, order: 0, x: 0, y: 0, width, height });
    }
  };
  for (const e of edges) {
    if (e.from_step === null) {
      add(`in:${e.from_port}`, 'input', e.from_port, null);
    }
  }
  for (const s of steps) {
    add(stepNodeId(s.name), 'step', s.name, s);
  }
  for (const e of edges) {
    if (e.to_step === null) {
      add(`out:${e.to_port}`, 'output', e.to_port, null);
    }
  }

  // One drawn edge per pair of nodes (an edge to a step not listed is dropped), plus
  // depends_on without a port edge (ordering only).
  const merged = new Map<string, { from: string; to: string; ports: IGraphEdge['ports'] }>();
  const link = (from: string, to: string, port: IGraphEdge['ports'][number] | null) => {
    if (!nodes.has(from) || !nodes.has(to) || from === to) {
      return;
    }
    const key = `${from}\u0000${to}`;
    const edge = merged.get(key) ?? { from, to, ports: [] };
    if (port) {
      edge.ports.push(port);
    }
    merged.set(key, edge);
  };
  for (const e of edges) {
    link(endId(e.from_step, e.from_port, 'in'), endId(e.to_step, e.to_port, 'out'), { from_port: e.from_port, to_port: e.to_port, kind: e.kind });
  }
  for (const s of steps) {
    for (const dep of s.depends_on ?? []) {
      link(stepNodeId(dep), stepNodeId(s.name), null);
    }
  }

  // Columns: the longest path from a source (Kahn's order).
  const preds = new Map<string, string[]>([...nodes.keys()].map(id => [id, []]));
  const succs = new Map<string, string[]>([...nodes.keys()].map(id => [id, []]));
  for (const e of merged.values()) {
    preds.get(e.to)!.push(e.from);
    succs.get(e.from)!.push(e.to);
  }
  const indegree = new Map([...preds].map(([id, p]) => [id, p.length]));
  const queue = [...nodes.keys()].filter(id => indegree.get(id) === 0);
  const placed = new Set<string>();
  while (queue.length > 0) {
    const id = queue.shift()!;
    placed.add(id);
    const node = nodes.get(id)!;
    for (const next of succs.get(id)!) {
      const target = nodes.get(next)!;
      target.level = Math.max(target.level, node.level + 1);
      indegree.set(next, indegree.get(next)! - 1);
      if (indegree.get(next) === 0) {
        queue.push(next);
      }
    }
  }
  const lastLevel = Math.max(0, ...[...placed].map(id => nodes.get(id)!.level));
  for (const node of nodes.values()) {
    if (!placed.has(node.id)) {
      node.level = lastLevel + 1;
    }
  }
  // An output sits right of what feeds it; an input left of what reads it (not always in column 0).
  for (const node of nodes.values()) {
    if (node.kind === 'input') {
      const readers = succs.get(node.id)!.map(id => nodes.get(id)!.level);
      if (readers.length > 0) {
        node.level = Math.max(0, Math.min(...readers) - 1);
      }
    }
  }

  // Order within each column: by the mean order of predecessors, then as listed.
  const columns: IGraphNode[][] = [];
  const listed = [...nodes.values()];
  for (const node of listed) {
    (columns[node.level] ??= []).push(node);
  }
  for (const column of columns) {
    if (!column) {
      continue;
    }
    const score = (n: IGraphNode) => {
      const p = preds.get(n.id)!.map(id => nodes.get(id)!).filter(m => m.level < n.level);
      return p.length > 0 ? p.reduce((sum, m) => sum + m.order, 0) / p.length : null;
    };
    // A node fed by nothing on its left keeps its listed place.
    const ranked = column.map((n, i) => ({ n, i, s: score(n) ?? i }));
    ranked.sort((a, b) => a.s - b.s || a.i - b.i);
    ranked.forEach(({ n }, order) => {
      n.order = order;
    });
  }

  // Coordinates: columns left to right, each centred vertically on the tallest.
  const columnHeight = (column: IGraphNode[]) =>
    column.reduce((sum, n) => sum + n.height, 0) + Math.max(0, column.length - 1) * SIZES.gapY;
  const tallest = Math.max(0, ...columns.filter(Boolean).map(columnHeight));
  let x = SIZES.margin;
  for (const column of columns) {
    if (!column) {
      x += SIZES.portWidth + SIZES.gapX;
      continue;
    }
    const sorted = [...column].sort((a, b) => a.order - b.order);
    const width = Math.max(...sorted.map(n => n.width));
    let y = SIZES.margin + (tallest - columnHeight(sorted)) / 2;
    for (const node of sorted) {
      node.x = x + (width - node.width) / 2;
      node.y = y;
      y += node.height + SIZES.gapY;
    }
    x += width + SIZES.gapX;
  }
  const width = nodes.size > 0 ? x - SIZES.gapX + SIZES.margin : 2 * SIZES.margin;

  // An edge over more than one column that would cross a node goes above the columns between
  // (in a lane of its own over the top, made room for by moving every node down).
  const between = (a: IGraphNode, b: IGraphNode) => listed.filter(n => n.level > a.level && n.level < b.level);
  const blocked = (a: IGraphNode, b: IGraphNode) => {
    const [y0, y1] = [a.y + a.height / 2, b.y + b.height / 2].sort((p, q) => p - q);
    return between(a, b).some(n => n.y - 4 < y1 && n.y + n.height + 4 > y0);
  };
  const routed = [...merged.values()].filter(e => blocked(nodes.get(e.from)!, nodes.get(e.to)!));
  const lane = 14;
  const shift = routed.length > 0 ? routed.length * lane + SIZES.gapY / 2 : 0;
  for (const node of listed) {
    node.y += shift;
  }
  const height = tallest + 2 * SIZES.margin + shift;

  const drawn: IGraphEdge[] = [...merged.values()].map(e => {
    const a = nodes.get(e.from)!;
    const b = nodes.get(e.to)!;
    const start = { x: a.x + a.width, y: a.y + a.height / 2 };
    const end = { x: b.x, y: b.y + b.height / 2 };
    const common = { from: e.from, to: e.to, ports: e.ports, label: edgeLabel(e.ports), start, end };
    const index = routed.indexOf(e);
    if (index >= 0) {
      const top = Math.min(...between(a, b).map(n => n.y));
      const wy = top - SIZES.gapY / 2 - index * lane;
      const r = Math.min(32, SIZES.gapX / 3);
      const path =
        `M${start.x},${start.y} C${start.x + r},${start.y} ${start.x + r},${wy} ${start.x + 2 * r},${wy} ` +
        `L${end.x - 2 * r},${wy} C${end.x - r},${wy} ${end.x - r},${end.y} ${end.x},${end.y}`;
      return { ...common, path, labelAt: { x: (start.x + end.x) / 2, y: wy } };
    }
    const bend = Math.max(24, (end.x - start.x) / 2);
    const path = `M${start.x},${start.y} C${start.x + bend},${start.y} ${end.x - bend},${end.y} ${end.x},${end.y}`;
    return { ...common, path, labelAt: { x: (start.x + end.x) / 2, y: (start.y + end.y) / 2 } };
  });
  return { nodes: listed, edges: drawn, width, height };
}

/** `train → data (folder)`; the same port names once (`model (folder)`); several joined by `, `. */
export function edgeLabel(ports: ReadonlyArray<{ from_port: string; to_port: string; kind: string }>): string {
  return ports
    .map(p => `${p.from_port === p.to_port ? p.from_port : `${p.from_port} → ${p.to_port}`}${p.kind && p.kind !== 'any' ? ` (${p.kind})` : ''}`)
    .join(', ');
}
