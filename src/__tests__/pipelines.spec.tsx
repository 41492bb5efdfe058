/**
 * The Pipelines area: the graph's layout (columns, order, edges and their labels), the forms'
 * checks, the models (runs list, one run following its events, a file's graph and its problems)
 * and the run's view (nodes by status, open a step's job, rerun from a step).
 */
import { act, fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../api/client';
import { MLServiceError } from '../api/client';
import { isPipelineFile, rerunChoices, validateFromStep } from '../areas/pipelines/forms';
import { SIZES, edgeLabel, layoutGraph } from '../areas/pipelines/layout';
import {
  PipelineFileModel,
  PipelineRunModel,
  PipelinesModel,
  isCancelable,
  pipelinePathOf,
  stepCounts,
  stepJob
} from '../areas/pipelines/model';
import { IPipelineActions, PipelineFileView, PipelineRunView, pipelineColumns, shownStep } from '../areas/pipelines/view';
import { ServiceEvents } from '../models/events';
import { detailHost, fakeEventManager, job, pipelineRun, pipelineStep, settle } from './fixtures';

jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

describe('layoutGraph', () => {
  it('puts each step in the column of its longest path from a source, inputs left of their readers', () => {
    const run = pipelineRun();
    const layout = layoutGraph(run.steps, run.edges);
    const at = Object.fromEntries(layout.nodes.map(n => [n.id, [n.level, n.order]]));
    expect(at).toEqual({
      'in:raw': [0, 0],
      'step:prep': [1, 0],
      'step:train': [2, 0],
      // fed by prep (column 1) and train (column 2): after the later
      'step:evaluate': [3, 0]
    });
    const byId = Object.fromEntries(layout.nodes.map(n => [n.id, n]));
    expect(byId['step:prep'].x).toBeGreaterThan(byId['in:raw'].x + byId['in:raw'].width);
    expect(byId['step:train'].x - byId['step:prep'].x).toBe(SIZES.stepWidth + SIZES.gapX);
    expect(layout.width).toBe(byId['step:evaluate'].x + SIZES.stepWidth + SIZES.margin);
    // prep -> evaluate would cross train: it goes above, in a lane the nodes moved down for
    const over = layout.edges.find(e => e.from === 'step:prep' && e.to === 'step:evaluate')!;
    expect(over.labelAt.y).toBeLessThan(byId['step:train'].y);
    expect(over.labelAt.y).toBeGreaterThan(0);
    expect(over.path).toContain(' L');
    expect(layout.height).toBe(SIZES.stepHeight + 2 * SIZES.margin + 14 + SIZES.gapY / 2);
    expect(byId['step:prep'].y).toBe(SIZES.margin + 14 + SIZES.gapY / 2);
  });

  it('draws one edge per pair of nodes, from the right middle of one to the left middle of the next, labelled with its ports', () => {
    const run = pipelineRun({
      edges: [
        ...pipelineRun().edges,
        { from_step: 'prep', from_port: 'scaler', to_step: 'train', to_port: 'scaler', kind: 'file' },
        { from_step: 'evaluate', from_port: 'report', to_step: null, to_port: 'report', kind: 'file' }
      ]
    });
    const layout = layoutGraph(run.steps, run.edges);
    const edge = layout.edges.find(e => e.from === 'step:prep' && e.to === 'step:train')!;
    expect(edge.label).toBe('train → data (folder), scaler (file)');
    const prep = layout.nodes.find(n => n.id === 'step:prep')!;
    const train = layout.nodes.find(n => n.id === 'step:train')!;
    expect(edge.start).toEqual({ x: prep.x + prep.width, y: prep.y + prep.height / 2 });
    expect(edge.end).toEqual({ x: train.x, y: train.y + train.height / 2 });
    expect(edge.path.startsWith(`M${edge.start.x},${edge.start.y} C`)).toBe(true);
    expect(edge.path.endsWith(`${edge.end.x},${edge.end.y}`)).toBe(true);
    expect(edge.labelAt).toEqual({ x: (edge.start.x + edge.end.x) / 2, y: (edge.start.y + edge.end.y) / 2 });
    // the pipeline's output is a node right of what feeds it
    const out = layout.nodes.find(n => n.id === 'out:report')!;
    expect([out.kind, out.level]).toEqual(['output', 4]);
    expect(layout.edges).toHaveLength(5);
  });

  it('stacks independent steps in one column, ordered after their predecessors, and centres shorter columns', () => {
    const steps = [
      pipelineStep({ name: 'a' }),
      pipelineStep({ name: 'b' }),
      pipelineStep({ name: 'y', depends_on: ['b'] }),
      pipelineStep({ name: 'x', depends_on: ['a'] }),
      pipelineStep({ name: 'join', depends_on: ['x', 'y'] })
    ];
    const layout = layoutGraph(steps, []);
    const node = (name: string) => layout.nodes.find(n => n.name === name)!;
    expect([node('a').level, node('b').level, node('x').level, node('y').level, node('join').level]).toEqual([0, 0, 1, 1, 2]);
    // x follows a (order 0), y follows b (order 1), whatever the order the steps were listed in
    expect([node('x').order, node('y').order]).toEqual([0, 1]);
    expect(node('y').y).toBe(node('x').y + SIZES.stepHeight + SIZES.gapY);
    expect(node('join').y + SIZES.stepHeight / 2).toBe((node('x').y + node('y').y + SIZES.stepHeight) / 2);
    // depends_on alone is an edge with no label
    expect(layout.edges.find(e => e.to === 'step:join' && e.from === 'step:x')?.label).toBe('');
  });

  it('ends on a cycle (nodes on it go last) and on edges to steps it does not know', () => {
    const steps = [pipelineStep({ name: 'a', depends_on: ['b'] }), pipelineStep({ name: 'b', depends_on: ['a'] }), pipelineStep({ name: 'c' })];
    const layout = layoutGraph(steps, [{ from_step: 'ghost', from_port: 'o', to_step: 'c', to_port: 'i', kind: 'any' }]);
    expect(layout.nodes.map(n => [n.name, n.level])).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 0]
    ]);
    expect(layout.edges.every(e => e.from !== 'step:ghost')).toBe(true);
    expect(layoutGraph([], [])).toMatchObject({ nodes: [], edges: [] });
  });

  it('labels an edge with its ports and what they carry', () => {
    expect(edgeLabel([{ from_port: 'model', to_port: 'model', kind: 'folder' }])).toBe('model (folder)');
    expect(edgeLabel([{ from_port: 'n', to_port: 'epochs', kind: 'any' }])).toBe('n → epochs');
  });
});

describe('forms', () => {
  it('knows pipeline files by their name', () => {
    expect(isPipelineFile('a/retrain.pipeline.yaml')).toBe(true);
    expect(isPipelineFile('retrain.pipeline.yml')).toBe(true);
    expect(isPipelineFile('retrain.yaml')).toBe(false);
    expect(isPipelineFile('pipeline.yaml')).toBe(false);
    expect(isPipelineFile(null)).toBe(false);
  });

  it('reruns every step, or from a step the run has', () => {
    const steps = ['prep', 'train'];
    expect(rerunChoices(steps).map(c => c.value)).toEqual(['', 'prep', 'train']);
    expect(validateFromStep('', steps)).toEqual({ fromStep: null, error: null });
    expect(validateFromStep('train', steps)).toEqual({ fromStep: 'train', error: null });
    expect(validateFromStep('deploy', steps).error).toBe('The run has no step "deploy" (steps: prep, train).');
  });
});

describe('summaries', () => {
  it('counts steps done (completed or reused), reused and failed', () => {
    expect(stepCounts(pipelineRun().steps)).toEqual({ done: 2, total: 3, reused: 1, failed: 0 });
    expect(stepJob({ job_id: null, reused_from: 'old' })).toBe('old');
    expect(isCancelable({ status: 'Running' })).toBe(true);
    expect(isCancelable({ status: 'Completed' })).toBe(false);
  });

  it('links a pipeline job and a step’s job to the run’s view', () => {
    expect(pipelinePathOf(job({ id: 'p/1', kind: 'pipeline' }))).toEqual({ path: 'pipelines/p%2F1', step: null });
    expect(pipelinePathOf(job({ id: 's', kind: 'command', parent_id: 'p1', tags: { 'mlservice.pipeline_step': 'train' } }))).toEqual({
      path: 'pipelines/p1',
      step: 'train'
    });
    expect(pipelinePathOf(job({ kind: 'command', parent_id: 'x', tags: { 'mlservice.sweep_trial': '1' } }))).toBeNull();
  });

  it('shows the chosen step, else the first failed, else the first running', () => {
    const steps = pipelineRun().steps;
    expect(shownStep(steps, 'train')?.name).toBe('train');
    expect(shownStep(steps, null)?.name).toBe('evaluate');
    expect(shownStep([...steps, pipelineStep({ name: 'bad', status: 'failed' })], null)?.name).toBe('bad');
  });

  it('has columns for steps done and reused that sort', () => {
    const columns = Object.fromEntries(pipelineColumns().map(c => [c.id, c]));
    expect(Object.keys(columns)).toEqual(['name', 'status', 'steps', 'reused', 'experiment', 'created', 'duration']);
    expect(columns.steps.render(pipelineRun())).toBe('2 of 3');
    expect(columns.reused.sortValue!(pipelineRun())).toBe(1);
    const name = render(<div>{columns.name.render(pipelineRun({ rerun_of: 'pipe0' }))}</div>);
    expect(name.container.querySelector('.jp-mlservice-pipeline-rerun-chip')?.getAttribute('title')).toBe('A rerun of pipe0');
    expect(columns.name.text!(pipelineRun())).toBe('retrain pipe1');
  });
});

describe('PipelinesModel', () => {
  it('lists runs a page at a time and refreshes on pipeline events and pipeline jobs’ events', async () => {
    mocked.listPipelineRuns.mockResolvedValue({ items: [pipelineRun()], next_cursor: null });
    const events = new ServiceEvents(null);
    const model = new PipelinesModel({ auto: false, events });
    await model.refresh();
    expect(model.items.map(r => r.id)).toEqual(['pipe1']);
    expect(mocked.listPipelineRuns.mock.calls[0][0]).toMatchObject({ limit: expect.any(Number) });
    events.emit('job', { job_id: 'j', status: 'Running', kind: 'command' });
    await settle(20);
    expect(mocked.listPipelineRuns).toHaveBeenCalledTimes(1);
    events.emit('pipeline', { pipeline_id: 'pipe1', step: 'train', state: 'completed', job_id: 'job-train' });
    await settle(20);
    expect(mocked.listPipelineRuns).toHaveBeenCalledTimes(2);
    events.emit('job', { job_id: 'pipe1', status: 'Completed', kind: 'pipeline' });
    await settle(20);
    expect(mocked.listPipelineRuns).toHaveBeenCalledTimes(3);
    model.dispose();
  });

  it('takes the server’s pipeline events (jupyter_events) as their own kind', async () => {
    mocked.listPipelineRuns.mockResolvedValue({ items: [], next_cursor: null });
    const { manager, emit } = fakeEventManager();
    const events = new ServiceEvents(manager);
    const seen: unknown[] = [];
    events.on('pipeline', e => seen.push(e));
    emit({ schema_id: 'https://events.jupyter.org/jupyter_mlservice/pipeline', pipeline_id: 'p', step: 'a', state: 'running', job_id: 'j' });
    expect(seen).toEqual([{ pipeline_id: 'p', step: 'a', state: 'running', job_id: 'j' }]);
    events.dispose();
  });

  it('cancels a run (the row takes the answer) and reruns from a step', async () => {
    mocked.listPipelineRuns.mockResolvedValue({ items: [pipelineRun()], next_cursor: null });
    mocked.cancelPipelineRun.mockResolvedValue(pipelineRun({ status: 'CancelRequested' }));
    mocked.rerunPipeline.mockResolvedValue(pipelineRun({ id: 'pipe2', rerun_of: 'pipe1' }));
    const model = new PipelinesModel({ auto: false });
    await model.refresh();
    await model.cancel('pipe1');
    expect(mocked.cancelPipelineRun).toHaveBeenCalledWith('pipe1');
    expect(model.items[0].status).toBe('CancelRequested');
    expect((await model.rerun('pipe1', 'train')).id).toBe('pipe2');
    expect(mocked.rerunPipeline).toHaveBeenCalledWith('pipe1', 'train');
    model.dispose();
  });
});

describe('PipelineRunModel', () => {
  it('follows its own run’s events and its steps’ jobs, not other runs', async () => {
    mocked.getPipelineRun.mockResolvedValue(pipelineRun());
    const events = new ServiceEvents(null);
    const model = new PipelineRunModel({ id: 'pipe1', auto: false, events });
    await model.refresh();
    expect(model.run?.steps.map(s => s.status)).toEqual(['reused', 'completed', 'running']);
    events.emit('pipeline', { pipeline_id: 'other', step: 'x', state: 'running', job_id: null });
    events.emit('job', { job_id: 'job-other', status: 'Running' });
    await settle(20);
    expect(mocked.getPipelineRun).toHaveBeenCalledTimes(1);

    mocked.getPipelineRun.mockResolvedValue(
      pipelineRun({ status: 'Completed', steps: pipelineRun().steps.map(s => ({ ...s, status: s.status === 'running' ? 'completed' : s.status })) })
    );
    events.emit('pipeline', { pipeline_id: 'pipe1', step: 'evaluate', state: 'completed', job_id: 'job-eval' });
    await settle(20);
    expect(model.run?.steps.map(s => s.status)).toEqual(['reused', 'completed', 'completed']);
    events.emit('job', { job_id: 'job-eval', status: 'Completed' });
    await settle(20);
    expect(mocked.getPipelineRun).toHaveBeenCalledTimes(3);
    model.dispose();
  });

  it('says a deleted run is gone', async () => {
    mocked.getPipelineRun.mockRejectedValue(new MLServiceError('no such pipeline run', 404));
    const model = new PipelineRunModel({ id: 'nope', auto: false });
    await model.refresh();
    expect(model.gone).toBe(true);
    model.dispose();
  });
});

describe('PipelineFileModel', () => {
  it('draws the file’s text, and shows what the server found wrong in its place', async () => {
    const read = jest.fn().mockResolvedValue('name: p\njobs: {a: {command: echo}}');
    mocked.drawPipeline.mockResolvedValue({ name: 'p', steps: [pipelineStep({ name: 'a', status: 'pending' })], edges: [] });
    const model = new PipelineFileModel({ path: 'p.pipeline.yaml', read, auto: false });
    await model.refresh();
    expect(mocked.drawPipeline).toHaveBeenCalledWith('name: p\njobs: {a: {command: echo}}');
    expect(model.graph?.name).toBe('p');
    expect(model.problem).toBeNull();

    mocked.drawPipeline.mockRejectedValue(new MLServiceError('jobs.b.inputs.x: unknown step "c"', 400));
    await model.refresh();
    expect(model.graph).toBeNull();
    expect(model.problem).toBe('jobs.b.inputs.x: unknown step "c"');
    expect(model.error).toBeNull();

    render(<PipelineFileView model={model} onRefresh={jest.fn()} />);
    expect(screen.getByRole('alert').textContent).toBe('jobs.b.inputs.x: unknown step "c"');
    model.dispose();
  });
});

describe('PipelineRunView', () => {
  const actions = (): jest.Mocked<IPipelineActions> => ({ cancel: jest.fn(), rerun: jest.fn() });

  async function shown(run = pipelineRun()) {
    mocked.getPipelineRun.mockResolvedValue(run);
    const model = new PipelineRunModel({ id: run.id, auto: false });
    await model.refresh();
    const host = detailHost();
    const acts = actions();
    const view = render(<PipelineRunView model={model} actions={acts} host={host} />);
    return { model, host, acts, view };
  }

  it('draws each step as a node with its status, reused ones marked, edges labelled', async () => {
    const { model, view } = await shown();
    const nodes = view.container.querySelectorAll('.jp-mlservice-pipeline-node');
    expect([...nodes].map(n => [n.getAttribute('data-step'), n.getAttribute('data-status')])).toEqual([
      ['prep', 'reused'],
      ['train', 'completed'],
      ['evaluate', 'running']
    ]);
    expect(nodes[0].querySelector('.jp-mlservice-pipeline-node-reused-from')?.textContent).toBe('reused from job job-old-prep');
    expect(nodes[0].getAttribute('aria-label')).toBe('Step prep: reused. Reused from job job-old-prep. Enter opens its job.');
    expect([...view.container.querySelectorAll('.jp-mlservice-pipeline-edge-label')].map(t => t.textContent)).toEqual([
      'raw (data)',
      'train → data (folder)',
      'model (folder)',
      'test (folder)'
    ]);
    expect(view.container.querySelector('.jp-mlservice-pipeline-summary')?.textContent).toContain('2 of 3 steps done, 1 reused.');
    model.dispose();
  });

  it('opens a step’s job on a click or Enter; focus shows its panel, with why it ran', async () => {
    const { model, host, view } = await shown();
    const train = view.container.querySelector('[data-step="train"].jp-mlservice-pipeline-node')!;
    fireEvent.click(train);
    expect(host.open).toHaveBeenCalledWith('jobs/job-train');
    const prep = view.container.querySelector('[data-step="prep"].jp-mlservice-pipeline-node')!;
    fireEvent.focus(prep);
    fireEvent.keyDown(prep, { key: 'Enter' });
    // a reused step opens the job whose outputs it took
    expect(host.open).toHaveBeenLastCalledWith('jobs/job-old-prep');
    const panel = view.container.querySelector('.jp-mlservice-pipeline-step')!;
    expect(panel.querySelector('h3')?.textContent).toContain('Step prep');
    expect(panel.textContent).toContain('same key as job job-old-prep');
    fireEvent.focus(train);
    expect(view.container.querySelector('.jp-mlservice-pipeline-why')?.textContent).toBe('inputs.data differ from the closest earlier run');
    model.dispose();
  });

  it('moves between nodes with the arrow keys', async () => {
    const { model, view } = await shown();
    const node = (name: string) => view.container.querySelector(`[data-step="${name}"].jp-mlservice-pipeline-node`) as SVGGElement;
    act(() => node('prep').focus());
    fireEvent.keyDown(node('prep'), { key: 'ArrowRight' });
    expect(document.activeElement).toBe(node('train'));
    fireEvent.keyDown(node('train'), { key: 'ArrowLeft' });
    expect(document.activeElement).toBe(node('prep'));
    model.dispose();
  });

  it('reruns from a step once the run has ended, and cancels while it runs', async () => {
    const running = await shown();
    expect(screen.getByRole('button', { name: 'Rerun from here' })).toHaveProperty('disabled', true);
    fireEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(running.acts.cancel).toHaveBeenCalledWith(running.model);
    running.view.unmount();
    running.model.dispose();

    const ended = await shown(pipelineRun({ status: 'Completed', steps: pipelineRun().steps.map(s => ({ ...s, status: s.status === 'running' ? 'completed' : s.status })) }));
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
    fireEvent.focus(ended.view.container.querySelector('[data-step="train"].jp-mlservice-pipeline-node')!);
    fireEvent.click(screen.getByRole('button', { name: 'Rerun from here' }));
    expect(ended.acts.rerun).toHaveBeenCalledWith(ended.model, 'train');
    fireEvent.click(screen.getByRole('button', { name: 'Rerun' }));
    expect(ended.acts.rerun).toHaveBeenLastCalledWith(ended.model, null);
    await act(async () => {
      ended.model.dispose();
    });
  });
});
