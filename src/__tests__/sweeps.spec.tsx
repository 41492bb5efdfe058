/**
 * The Sweeps area: the charts' maths, the models (sweeps and AutoML runs in one list, one open
 * in its view, a sweep's trials) and the view (trials sorted by a metric, register the best).
 */
import { act, fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../api/client';
import { bestSoFar, parallelAxes, quality, trialLine } from '../areas/sweeps/charts';
import { SearchDetailModel, SearchesModel, SweepTrialsModel, sweepPathOf, sweepSummary } from '../areas/sweeps/model';
import { ISearchActions, SearchView } from '../areas/sweeps/view';
import { MetricChart } from '../components/MetricChart';
import { ServiceEvents } from '../models/events';
import { automlRun, detailHost, job, settle, sweep, sweepTrial } from './fixtures';

jest.mock('uplot', () => jest.requireActual('./fixtures').fakeUPlot());
jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

const TRIALS = [
  sweepTrial({ number: 0, value: 0.6, params: { alpha: 0.001, kernel: 'rbf' }, metrics: { val_f1: 0.6, loss: 0.3 } }),
  sweepTrial({ number: 1, value: 0.9, params: { alpha: 0.1, kernel: 'linear' }, metrics: { val_f1: 0.9, loss: 0.1 } }),
  sweepTrial({ number: 2, value: 0.2, state: 'pruned', reason: 'below the median at step 2', params: { alpha: 1, kernel: 'rbf' }, metrics: { val_f1: 0.2, loss: 0.8 } }),
  sweepTrial({ number: 3, value: 0.7, params: { alpha: 0.01, kernel: 'linear' }, metrics: { val_f1: 0.7, loss: 0.2 } })
];

describe('best so far', () => {
  it('follows the completed trials in order; a pruned trial never counts', () => {
    expect(bestSoFar(TRIALS, 'maximize')).toEqual([
      { number: 0, value: 0.6, best: 0.6 },
      { number: 1, value: 0.9, best: 0.9 },
      { number: 3, value: 0.7, best: 0.9 }
    ]);
    expect(bestSoFar([...TRIALS].reverse(), 'minimize').map(p => p.best)).toEqual([0.6, 0.6, 0.6]);
    expect(bestSoFar([sweepTrial({ value: null })], 'maximize')).toEqual([]);
  });
});

describe('parallel coordinates', () => {
  const space = sweep().spec.search_space;

  it('has an axis per parameter in the space’s order, then the objective over the values reported', () => {
    const axes = parallelAxes(TRIALS, space, 'val_f1');
    expect(axes.map(a => [a.name, a.scale])).toEqual([
      ['alpha', 'log'],
      ['kernel', 'category'],
      ['val_f1', 'linear']
    ]);
    // loguniform(0.001, 1): the declared range on a log scale
    expect(axes[0].position(0.001)).toBe(0);
    expect(axes[0].position(1)).toBe(1);
    expect(axes[0].position(0.031622776601683794)).toBeCloseTo(0.5);
    expect(axes[0].position(-1)).toBeNull();
    // a choice's values, as declared
    expect(axes[1].categories).toEqual(['rbf', 'linear']);
    expect(axes[1].position('linear')).toBe(1);
    expect(axes[2].min).toBe(0.2);
    expect(axes[2].max).toBe(0.9);
  });

  it('draws a trial across the axes, and colours by how good its objective is', () => {
    const axes = parallelAxes(TRIALS, space, 'val_f1');
    expect(trialLine(TRIALS[1], axes, 200, 100)).toEqual([
      { x: 0, y: expect.closeTo(100 - (2 / 3) * 100, 6) },
      { x: 100, y: 0 },
      { x: 200, y: 0 }
    ]);
    expect(quality(0.9, axes[2], 'maximize')).toBe(1);
    expect(quality(0.9, axes[2], 'minimize')).toBe(0);
    // one value only: the axis is padded around it
    const flat = parallelAxes([TRIALS[0]], { n: { type: 'randint', low: 1, high: 5 } as any }, 'f1');
    expect(flat[1].position(0.6)).toBe(0.5);
  });
});

describe('SearchesModel', () => {
  it('lists sweeps and AutoML runs in one page, each with its objective, best and trials', async () => {
    const s = sweep({ best_trial: TRIALS[1] });
    mocked.listJobs.mockResolvedValue({ items: [s.job, automlRun().job], next_cursor: null });
    mocked.getSweep.mockResolvedValue(s);
    mocked.getAutoMLRun.mockResolvedValue(automlRun());
    const model = new SearchesModel({ auto: false });
    await model.refresh();
    expect(mocked.listJobs.mock.calls[0][0]).toMatchObject({ kind: 'sweep,automl' });
    expect(model.summary('sweep1')).toEqual({ objective: 'maximize val_f1', best: 0.9, done: 2, max: 4 });
    expect(model.summary('automl1')).toEqual({ objective: 'auc', best: 0.99, done: 41, max: null });

    await model.setFilter({ kind: 'automl' });
    expect(mocked.listJobs.mock.calls[1][0]).toMatchObject({ kind: 'automl' });
    model.dispose();
  });

  it('refreshes on a trial event and on its kinds’ job events, not on other jobs', async () => {
    mocked.listJobs.mockResolvedValue({ items: [], next_cursor: null });
    const events = new ServiceEvents(null);
    const model = new SearchesModel({ auto: false, events });
    await model.refresh();
    events.emit('job', { job_id: 'j', status: 'Running', kind: 'command' });
    await settle(20);
    expect(mocked.listJobs).toHaveBeenCalledTimes(1);
    events.emit('sweep', { sweep_id: 's', trial: 1, state: 'completed', job_id: null });
    await settle(20);
    events.emit('job', { job_id: 's', status: 'Completed', kind: 'sweep' });
    await settle(20);
    expect(mocked.listJobs.mock.calls.length).toBeGreaterThanOrEqual(2);
    model.dispose();
  });

  it('counts a sweep’s ended trials', () => {
    expect(sweepSummary(sweep({ counts: { completed: 3, pruned: 2, running: 1, pending: 2 } })).done).toBe(5);
  });
});

describe('SearchDetailModel', () => {
  it('reads the job first, then the sweep or the AutoML run it is', async () => {
    mocked.getJob.mockResolvedValue(sweep().job);
    mocked.getSweep.mockResolvedValue(sweep());
    const model = new SearchDetailModel({ id: 'sweep1', auto: false });
    await model.refresh();
    expect(model.kind).toBe('sweep');
    expect(model.sweep?.id).toBe('sweep1');
    await model.refresh();
    expect(mocked.getJob).toHaveBeenCalledTimes(1);
    model.dispose();

    mocked.getJob.mockResolvedValue(automlRun().job);
    mocked.getAutoMLRun.mockResolvedValue(automlRun());
    mocked.getJobMetrics.mockResolvedValue({
      metrics: { best_roc_auc: [{ step: 1500, value: 0.95, timestamp: 1 }, { step: 4000, value: 0.99, timestamp: 2 }], val_roc_auc: [] },
      params: {}
    } as any);
    const automl = new SearchDetailModel({ id: 'automl1', auto: false });
    await automl.refresh();
    expect(automl.kind).toBe('automl');
    expect(automl.bestCurve).toEqual({
      metric: 'best_roc_auc',
      points: [
        { step: 1.5, value: 0.95, timestamp: 1 },
        { step: 4, value: 0.99, timestamp: 2 }
      ]
    });
    automl.dispose();
  });

  it('says when the link names a job that is not a sweep', async () => {
    mocked.getJob.mockResolvedValue(job({ id: 'j1', kind: 'command' }));
    const model = new SearchDetailModel({ id: 'j1', auto: false });
    await model.refresh();
    expect(model.otherKind).toBe('command');
    expect(mocked.getSweep).not.toHaveBeenCalled();
    model.dispose();
  });
});

describe('SearchView', () => {
  function actions(): jest.Mocked<ISearchActions> {
    return { cancel: jest.fn(), registerModel: jest.fn(), compare: jest.fn() };
  }

  it('a sweep: trials sortable by any metric, pruned ones say why, best so far, register the best', async () => {
    const s = sweep({ best_trial: TRIALS[1] });
    mocked.getJob.mockResolvedValue(s.job);
    mocked.getSweep.mockResolvedValue(s);
    mocked.listSweepTrials.mockResolvedValue({ items: TRIALS });
    const model = new SearchDetailModel({ id: 'sweep1', auto: false });
    const trials = new SweepTrialsModel({ id: 'sweep1', auto: false });
    await model.refresh();
    await trials.refresh();
    const acts = actions();
    const { container } = render(<SearchView model={model} trials={trials} actions={acts} host={detailHost()} />);
    const order = () => [...container.querySelectorAll('tbody tr[data-trial]')].map(r => r.getAttribute('data-trial'));
    expect(order()).toEqual(['0', '1', '2', '3']);
    fireEvent.click(screen.getByTitle('Sort by loss'));
    expect(order()).toEqual(['1', '3', '0', '2']);
    fireEvent.click(screen.getByTitle('Sort by val_f1'));
    fireEvent.click(screen.getByTitle('Sort by val_f1'));
    expect(order()).toEqual(['1', '3', '0', '2']);
    expect(container.querySelector('tr[data-trial="2"]')!.textContent).toContain('below the median at step 2');

    expect(container.querySelector('.jp-mlservice-best-so-far')!.getAttribute('data-points')).toBe('3');
    expect(container.querySelectorAll('.jp-mlservice-parallel-line')).toHaveLength(4);
    expect(container.querySelector('.jp-mlservice-parallel-line.jp-mlservice-trial-pruned')).not.toBeNull();

    fireEvent.click(screen.getByText('Register best model'));
    expect(acts.registerModel).toHaveBeenCalledWith('trial-job-0');
    fireEvent.click(screen.getByText('Cancel'));
    expect(acts.cancel).toHaveBeenCalledWith(model);
    trials.dispose();
    model.dispose();
  });

  it('an AutoML run: its leaderboard, feature importance and the final model to register', async () => {
    mocked.getJob.mockResolvedValue(automlRun().job);
    mocked.getAutoMLRun.mockResolvedValue(automlRun());
    mocked.getJobMetrics.mockResolvedValue({ metrics: {}, params: {} } as any);
    const model = new SearchDetailModel({ id: 'automl1', auto: false });
    const trials = new SweepTrialsModel({ id: 'automl1', auto: false });
    await model.refresh();
    const acts = actions();
    const { container } = render(<SearchView model={model} trials={trials} actions={acts} host={detailHost()} />);
    expect([...container.querySelectorAll('.jp-mlservice-leaderboard tbody tr')].map(r => r.getAttribute('data-model'))).toEqual([
      'lightgbm',
      'random_forest'
    ]);
    expect([...container.querySelectorAll('[data-feature]')].map(r => r.getAttribute('data-feature'))).toEqual(['mean radius', 'mean texture']);
    expect(screen.queryByText('Cancel')).toBeNull(); // it has ended
    fireEvent.click(screen.getByText('Register best model'));
    expect(acts.registerModel).toHaveBeenCalledWith('final-job');
    expect(mocked.listSweepTrials).not.toHaveBeenCalled();
    trials.dispose();
    model.dispose();
  });
});

describe('charts and the theme', () => {
  it('a chart is drawn again when the theme changes (its axes take the theme’s colours)', async () => {
    const { container } = render(<MetricChart title="loss" series={[{ label: 'loss', points: [{ step: 0, value: 1, timestamp: 0 }] }]} />);
    expect(container.querySelectorAll('canvas')).toHaveLength(1);
    await act(async () => {
      document.body.dataset.jpThemeLight = 'false';
      await settle(10);
    });
    expect(container.querySelectorAll('canvas')).toHaveLength(2); // the fake uPlot adds one per plot
    delete document.body.dataset.jpThemeLight;
  });
});

describe('a job’s link to its sweep view', () => {
  it('from the parent job, a trial or an AutoML search', () => {
    expect(sweepPathOf(job({ id: 's1', kind: 'sweep' }))).toEqual({ path: 'sweeps/s1', of: 'self', trial: null });
    expect(sweepPathOf(job({ id: 't', kind: 'command', parent_id: 's1', tags: { 'mlservice.sweep_trial': '3' } }))).toEqual({
      path: 'sweeps/s1',
      of: 'trial',
      trial: '3'
    });
    expect(sweepPathOf(job({ kind: 'command', parent_id: 'a1', tags: { 'mlservice.automl_role': 'search' } }))?.of).toBe('automl');
    expect(sweepPathOf(job({ kind: 'command' }))).toBeNull();
  });
});
