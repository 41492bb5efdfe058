import { act, fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../api/client';
import {
  canAbort,
  canApprove,
  causeText,
  firingLabel,
  formatDifference,
  formatMs,
  formatRate,
  lastCause,
  phaseFigures,
  promotionsOf,
  rolloutStages,
  sortRollouts,
  trafficSplit,
  verdict,
  watching
} from '../areas/automation/forms';
import { RolloutDetailModel, RolloutsModel, TriggerDetailModel, TriggersModel } from '../areas/automation/model';
import { AutomationPage, IAutomationActions, RolloutView, TriggerView, jobSummary, rolloutColumns, triggerColumns } from '../areas/automation/view';
import { VersionDetailModel } from '../areas/models/model';
import { IModelActions, VersionView } from '../areas/models/view';
import { ServiceEvents } from '../models/events';
import { detailHost, evaluation, modelVersion, rollout, settle, trigger, triggerFiring } from './fixtures';

jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

const actions = (): IAutomationActions => ({
  setEnabled: jest.fn(),
  fire: jest.fn(),
  removeTriggers: jest.fn(),
  approve: jest.fn(),
  abort: jest.fn()
});

describe('what a trigger watches and what fired it', () => {
  it('names each kind of source', () => {
    expect(watching(trigger())).toEqual({ kind: 'data', what: 'iris' });
    expect(watching(trigger({ kind: 'model', on: { model: 'iris', time_zone: 'UTC' } }))).toEqual({ kind: 'model', what: 'iris' });
    expect(watching(trigger({ kind: 'model_alias', on: { model: 'iris', alias: 'champion', time_zone: 'UTC' } })).what).toBe('iris@champion');
    expect(watching(trigger({ kind: 'model_tag', on: { model: 'iris', tag: 'approved=yes', time_zone: 'UTC' } }))).toEqual({
      kind: 'tag',
      what: 'iris approved=yes'
    });
    expect(watching(trigger({ kind: 'alert', on: { alert: '*', time_zone: 'UTC' } }))).toEqual({ kind: 'alert', what: 'any monitor' });
    expect(watching(trigger({ kind: 'cron', on: { cron: '0 2 * * *', time_zone: 'Europe/Paris' } })).what).toBe('0 2 * * * (Europe/Paris)');
    expect(watching(trigger({ kind: 'cron', on: { cron: '0 2 * * *', time_zone: 'UTC' } })).what).toBe('0 2 * * *');
  });

  it('says what caused a firing', () => {
    expect(causeText({ kind: 'data', name: 'iris', version: 3, ref: 'data:iris@3' })).toBe('data:iris@3');
    expect(causeText({ kind: 'model_alias', name: 'iris', alias: 'champion', version: 4, ref: 'iris@champion' })).toBe('iris@champion → v4');
    expect(causeText({ kind: 'alert', alert_id: 17, monitor: 'iris-drift' })).toBe('alert 17 (iris-drift)');
    expect(causeText({ kind: 'cron', scheduled_time: '2026-12-04T02:00:00Z' })).toBe('slot 2026-12-04T02:00:00Z');
    expect(causeText({ kind: 'manual', ref: 'data:iris@3', watching: 'data' })).toBe('fired by hand (data:iris@3)');
    expect(causeText({ kind: 'manual' })).toBe('fired by hand');
    expect(causeText(null)).toBe('');
    expect(lastCause(trigger())).toBe('data:iris@3');
    expect(lastCause(trigger({ last_firings: [] }))).toBe('');
  });

  it('shows a firing by its job status, else its own state', () => {
    expect(firingLabel(triggerFiring())).toBe('Completed');
    expect(firingLabel(triggerFiring({ state: 'failed', job_id: null, job_status: null }))).toBe('Failed');
  });

  it('sums up the job a trigger runs', () => {
    expect(jobSummary({ kind: 'command', command: 'python train.py' })).toBe('command: python train.py');
    expect(jobSummary({ kind: 'code', source: '\nimport x\nprint(1)' })).toBe('code: import x');
    expect(jobSummary({ kind: 'notebook', notebook: 'a.ipynb' })).toBe('notebook: a.ipynb');
    expect(jobSummary({ rollout: { endpoint: 'iris', model: '{{ cause.ref }}' } })).toBe('rollout: {{ cause.ref }} to endpoint iris');
    expect(jobSummary({ pipeline: 'retrain.pipeline.yaml' })).toBe('pipeline: retrain.pipeline.yaml');
  });
});

describe('a rollout, read', () => {
  it('lists in-progress rollouts first, newest first within each group', () => {
    const items = [
      rollout({ id: 'old-done', state: 'Completed', created_at: '2026-12-01T00:00:00Z' }),
      rollout({ id: 'new-done', state: 'RolledBack', created_at: '2026-12-03T00:00:00Z' }),
      rollout({ id: 'waiting', state: 'AwaitingApproval', created_at: '2026-12-02T00:00:00Z' }),
      rollout({ id: 'moving', state: 'Progressing', created_at: '2026-11-30T00:00:00Z' })
    ];
    expect(sortRollouts(items).map(r => r.id)).toEqual(['waiting', 'moving', 'new-done', 'old-done']);
  });

  it('offers Approve only while it waits for an approval it requires, Abort while it moves', () => {
    expect(canApprove(rollout({ state: 'AwaitingApproval' }))).toBe(true);
    expect(canApprove(rollout({ state: 'AwaitingApproval', approved_at: '2026-12-04T10:01:00Z' }))).toBe(false);
    expect(canApprove(rollout({ state: 'AwaitingApproval', require_approval: false }))).toBe(false);
    expect(canApprove(rollout({ state: 'Progressing' }))).toBe(false);
    expect(canAbort(rollout({ state: 'Paused' }))).toBe(true);
    expect(canAbort(rollout({ state: 'Completed' }))).toBe(false);
  });

  it('draws its plan as stages: done, current, waiting for approval, rolled back, to come', () => {
    const statuses = (r: api.Rollout) => rolloutStages(r).map(s => `${s.label}:${s.status}`);
    expect(statuses(rollout({ state: 'Creating', step: -1 }))).toEqual(['50%:pending', '100%:pending']);
    expect(statuses(rollout({ state: 'Progressing', step: 0 }))).toEqual(['50%:current', '100%:pending']);
    expect(statuses(rollout({ state: 'AwaitingApproval', step: 0 }))).toEqual(['50%:done', '100%:waiting']);
    expect(statuses(rollout({ state: 'Completed', step: 1 }))).toEqual(['50%:done', '100%:done']);
    const mirrored = rollout({ plan: { ...rollout().plan, steps: [10, 50, 100], mirror_first_s: 30 } });
    expect(statuses({ ...mirrored, state: 'Mirroring', step: -1 })).toEqual(['Mirror:current', '10%:pending', '50%:pending', '100%:pending']);
    expect(statuses({ ...mirrored, state: 'Paused', step: 1 })).toEqual(['Mirror:done', '10%:done', '50%:current', '100%:pending']);
    const failed = {
      ...mirrored,
      state: 'RolledBack' as const,
      step: -1,
      history: [
        {
          phase: 'mirror',
          started_at: '',
          ended_at: '',
          candidate: {},
          baseline: {},
          decision: 'rolled_back' as const,
          reason: 'error rate'
        }
      ]
    };
    expect(statuses(failed)).toEqual(['Mirror:failed', '10%:pending', '50%:pending', '100%:pending']);
  });

  it('splits the traffic between baseline and candidate, and reads each phase’s figures', () => {
    expect(trafficSplit(rollout({ traffic_percent: 50 })).map(s => [s.deployment, s.percent])).toEqual([
      ['v1', 50],
      ['v2', 50]
    ]);
    const figures = phaseFigures({
      candidate: { requests: 12, errors: 1, error_rate: 1 / 12, p99_ms: 14.2 },
      baseline: { requests: 10, errors: 0, error_rate: 0, p99_ms: null }
    });
    expect(figures.candidate).toEqual({ requests: 12, errors: 1, error_rate: 1 / 12, p99_ms: 14.2 });
    expect(figures.baseline.p99_ms).toBeNull();
    expect(formatRate(1 / 12)).toBe('8.3%');
    expect(formatRate(0)).toBe('0%');
    expect(formatRate(null)).toBe('–');
    expect(formatMs(14.24)).toBe('14.2 ms');
  });

  it('finds a model version’s promotions and says an evaluation’s verdict', () => {
    const items = [rollout({ id: 'a', model: 'iris:2' }), rollout({ id: 'b', model: 'iris:3' }), rollout({ id: 'c', model: 'iris:2', state: 'Completed' })];
    expect(promotionsOf(items, 'iris', '2').map(r => r.id)).toEqual(['a', 'c']);
    expect(verdict(evaluation())).toBe('Passed');
    expect(verdict(evaluation({ passed: false }))).toBe('Failed');
    expect(verdict(evaluation({ status: 'Running', passed: null }))).toBe('Running');
    expect(verdict(evaluation({ gate: null, passed: null }))).toBe('no gate');
    expect(formatDifference(0.05, [0.01, 0.09])).toBe('+0.050 [0.010, 0.090]');
    expect(formatDifference(-0.2, [])).toBe('-0.200');
  });
});

describe('TriggersModel and RolloutsModel', () => {
  it('lists triggers, refreshes on trigger events and acts on them', async () => {
    mocked.listTriggers.mockResolvedValue({ items: [trigger()], next_cursor: null });
    const events = new ServiceEvents(null);
    const model = new TriggersModel({ events, auto: false });
    await model.refresh();
    expect(model.items.map(t => t.name)).toEqual(['retrain']);
    expect(mocked.listTriggers).toHaveBeenLastCalledWith({ limit: 25, cursor: null });
    events.emit('trigger', { name: 'retrain', action: 'fired', firing_id: 2, status: 'submitted' });
    await settle(10);
    expect(mocked.listTriggers).toHaveBeenCalledTimes(2);

    mocked.setTriggerEnabled.mockResolvedValue(trigger({ enabled: false }));
    await model.setEnabled('retrain', false);
    expect(mocked.setTriggerEnabled).toHaveBeenCalledWith('retrain', false);
    expect(model.items[0].enabled).toBe(false);
    mocked.fireTrigger.mockResolvedValue(triggerFiring({ id: 3 }));
    expect((await model.fire('retrain')).id).toBe(3);
    mocked.deleteTrigger.mockResolvedValue(undefined);
    await model.remove('retrain');
    expect(model.items).toEqual([]);
    model.dispose();
  });

  it('lists rollouts in-progress first, filtered by endpoint, and approves or aborts them', async () => {
    mocked.listRollouts.mockResolvedValue({
      items: [rollout({ id: 'done', state: 'Completed' }), rollout({ id: 'live', state: 'AwaitingApproval' })],
      next_cursor: null
    });
    const events = new ServiceEvents(null);
    const model = new RolloutsModel({ events, auto: false });
    await model.refresh();
    expect(model.items.map(r => r.id)).toEqual(['live', 'done']);
    await model.setFilter({ endpoint: 'iris' });
    expect(mocked.listRollouts).toHaveBeenLastCalledWith({ endpoint: 'iris', limit: 25, cursor: null });
    const seen: string[] = [];
    events.on('rollout', e => seen.push(`${e.id}:${e.action}`));
    mocked.approveRollout.mockResolvedValue(rollout({ id: 'live', state: 'AwaitingApproval', approved_at: '2026-12-04T10:00:00Z' }));
    await model.approve('live');
    expect(mocked.approveRollout).toHaveBeenCalledWith('live');
    expect(model.find('live')!.approved_at).toBeTruthy();
    mocked.abortRollout.mockResolvedValue(rollout({ id: 'live', state: 'RolledBack' }));
    await model.abort('live');
    expect(seen).toEqual(['live:approved', 'live:updated']);
    model.dispose();
  });
});

describe('TriggerView', () => {
  it('shows the settings and each firing with its job linked to the Jobs area', async () => {
    mocked.getTrigger.mockResolvedValue(trigger());
    mocked.listTriggerFirings.mockResolvedValue({
      items: [triggerFiring({ id: 2, cause: { kind: 'manual', ref: 'data:iris@3' }, job_id: 'job-8', job_status: 'Running' }), triggerFiring()],
      next_cursor: null
    });
    const events = new ServiceEvents(null);
    const model = new TriggerDetailModel({ trigger: 'retrain', events, auto: false });
    const acts = actions();
    const host = detailHost();
    render(<TriggerView model={model} actions={acts} host={host} />);
    await act(() => model.refresh());
    expect(document.querySelector('.jp-mlservice-trigger-job')!.textContent).toBe('command: python train.py');
    const rows = document.querySelectorAll('tr.jp-mlservice-firing');
    expect([...rows].map(r => r.getAttribute('data-job-id'))).toEqual(['job-8', 'job-7']);
    expect(rows[0].querySelector('.jp-mlservice-firing-cause')!.textContent).toBe('fired by hand (data:iris@3)');
    expect(rows[0].querySelector('[data-status]')!.textContent).toBe('Running');
    const link = rows[0].querySelector('a.jp-mlservice-firing-job')!;
    expect(link.getAttribute('href')).toBe('http://localhost/lab/mlservice/jobs/job-8');
    fireEvent.click(link);
    expect(host.open).toHaveBeenCalledWith('jobs/job-8');
    fireEvent.click(screen.getByRole('button', { name: 'Fire now' }));
    expect(acts.fire).toHaveBeenCalledWith(['retrain']);
    fireEvent.click(screen.getByRole('button', { name: 'Disable' }));
    expect(acts.setEnabled).toHaveBeenCalledWith(['retrain'], false);

    // A job event of one of its firings refreshes it; another job's does not.
    events.emit('job', { job_id: 'job-8', status: 'Completed' });
    await act(() => settle(10));
    expect(mocked.getTrigger).toHaveBeenCalledTimes(2);
    events.emit('job', { job_id: 'other', status: 'Completed' });
    await act(() => settle(10));
    expect(mocked.getTrigger).toHaveBeenCalledTimes(2);
    model.dispose();
  });

  it('links a firing that started a rollout to the rollout’s view', async () => {
    mocked.getTrigger.mockResolvedValue(trigger({ kind: 'model_tag', on: { model: 'iris', tag: 'gate=passed', time_zone: 'UTC' }, run: { rollout: { endpoint: 'iris', model: '{{ cause.ref }}' } } }));
    mocked.listTriggerFirings.mockResolvedValue({ items: [triggerFiring({ job_id: null, job_status: null, rollout_id: 'ro-9' })], next_cursor: null });
    const model = new TriggerDetailModel({ trigger: 'retrain', auto: false });
    render(<TriggerView model={model} actions={actions()} host={detailHost()} />);
    await act(() => model.refresh());
    const row = document.querySelector('tr.jp-mlservice-firing')!;
    expect(row.getAttribute('data-rollout')).toBe('ro-9');
    expect(row.querySelector('a.jp-mlservice-firing-rollout')!.getAttribute('href')).toBe('http://localhost/lab/mlservice/automation/rollouts/ro-9');
    expect(document.querySelector('.jp-mlservice-trigger-settings')!.textContent).not.toContain('Target');
    model.dispose();
  });
});

describe('RolloutView', () => {
  const judged = {
    phase: 'step 50%',
    started_at: '2026-12-04T10:00:00Z',
    ended_at: '2026-12-04T10:00:02Z',
    candidate: { requests: 4, errors: 0, error_rate: 0, p99_ms: 12 },
    baseline: { requests: 5, errors: 0, error_rate: 0, p99_ms: 10 },
    decision: 'passed' as const,
    reason: null
  };

  it('draws the stepper, the split and each phase; Approve is enabled only while it waits for approval', async () => {
    mocked.getRollout.mockResolvedValue(rollout({ state: 'Progressing', step: 0 }));
    const events = new ServiceEvents(null);
    const model = new RolloutDetailModel({ rollout: 'ro-1', events, auto: false });
    const acts = actions();
    render(<RolloutView model={model} actions={acts} host={detailHost()} />);
    await act(() => model.refresh());
    const view = document.querySelector('.jp-mlservice-rollout-view')!;
    expect(view.getAttribute('data-state')).toBe('Progressing');
    expect(view.getAttribute('data-traffic')).toBe('50');
    expect(document.querySelector('[aria-current="step"]')!.getAttribute('data-phase')).toBe('step 50%');
    expect((screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText('No phase has been judged yet.')).toBeTruthy();

    // A rollout event moves it: it now waits for approval before 100%.
    mocked.getRollout.mockResolvedValue(rollout({ state: 'AwaitingApproval', step: 0, history: [judged] }));
    events.emit('rollout', { id: 'ro-1', endpoint: 'iris', action: 'updated', state: 'AwaitingApproval' });
    await act(() => settle(10));
    expect(view.getAttribute('data-state')).toBe('AwaitingApproval');
    expect(document.querySelector('[aria-current="step"]')!.getAttribute('data-status')).toBe('waiting');
    const phase = document.querySelector('tr.jp-mlservice-phase[data-phase="step 50%"]')!;
    expect(phase.getAttribute('data-decision')).toBe('passed');
    expect(phase.textContent).toContain('4 vs 5');
    expect(phase.textContent).toContain('12.0 ms vs 10.0 ms');
    expect(phase.querySelectorAll('svg.jp-mlservice-pair-bars rect')).toHaveLength(6);
    const split = document.querySelectorAll('.jp-mlservice-split-item');
    expect([...split].map(s => `${s.getAttribute('data-deployment')}=${s.getAttribute('data-percent')}`)).toEqual(['v1=50', 'v2=50']);
    const approve = screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement;
    expect(approve.disabled).toBe(false);
    fireEvent.click(approve);
    expect(acts.approve).toHaveBeenCalledWith('ro-1');
    fireEvent.click(screen.getByRole('button', { name: 'Abort' }));
    expect(acts.abort).toHaveBeenCalledWith(['ro-1']);

    // Another rollout's event does not read this one again.
    events.emit('rollout', { id: 'ro-2', action: 'updated', state: 'Progressing' });
    await act(() => settle(10));
    expect(mocked.getRollout).toHaveBeenCalledTimes(2);

    // Completed: all traffic on the candidate, nothing left to approve or abort.
    mocked.getRollout.mockResolvedValue(rollout({ state: 'Completed', step: 1, traffic_percent: 100, history: [judged], approved_at: 'x' }));
    events.emit('rollout', { id: 'ro-1', action: 'updated', state: 'Completed' });
    await act(() => settle(10));
    expect(view.getAttribute('data-traffic')).toBe('100');
    expect((screen.getByRole('button', { name: 'Approve' }) as HTMLButtonElement).disabled).toBe(true);
    expect((screen.getByRole('button', { name: 'Abort' }) as HTMLButtonElement).disabled).toBe(true);
    expect(document.querySelector('[aria-current="step"]')).toBeNull();
    model.dispose();
  });
});

describe('AutomationPage', () => {
  it('shows triggers or rollouts by its path, each row opening its view', async () => {
    mocked.listTriggers.mockResolvedValue({ items: [trigger()], next_cursor: null });
    mocked.listRollouts.mockResolvedValue({ items: [rollout()], next_cursor: null });
    const triggers = new TriggersModel({ auto: false });
    const rollouts = new RolloutsModel({ auto: false });
    const host = { open: jest.fn(), link: (p: string) => `/lab/mlservice/${p}` };
    const acts = actions();
    const { rerender } = render(<AutomationPage triggers={triggers} rollouts={rollouts} actions={acts} host={host} path={[]} />);
    await act(() => triggers.refresh());
    expect(screen.getByRole('tab', { name: 'Triggers' }).getAttribute('aria-selected')).toBe('true');
    const row = document.querySelector('tr[data-trigger="retrain"]')!;
    expect(row.textContent).toContain('data:iris@3');
    expect(row.querySelector('a')!.getAttribute('href')).toBe('/lab/mlservice/automation/triggers/retrain');
    fireEvent.click(screen.getByRole('tab', { name: 'Rollouts' }));
    expect(host.open).toHaveBeenCalledWith('automation/rollouts');

    rerender(<AutomationPage triggers={triggers} rollouts={rollouts} actions={acts} host={host} path={['rollouts']} />);
    await act(() => rollouts.refresh());
    const ro = document.querySelector('tr[data-rollout="ro-1"]')!;
    expect(ro.getAttribute('data-state')).toBe('Progressing');
    expect(ro.querySelector('a')!.getAttribute('href')).toBe('/lab/mlservice/automation/rollouts/ro-1');
    expect(triggerColumns().map(c => c.id)).toEqual(['name', 'watching', 'enabled', 'last', 'cause', 'firings']);
    expect(rolloutColumns().map(c => c.id)).toEqual(['endpoint', 'deployments', 'model', 'state', 'traffic', 'started']);
    triggers.dispose();
    rollouts.dispose();
  });
});

describe('a model version’s evaluations and promotions', () => {
  it('reads them by model and version, and refreshes on their events', async () => {
    mocked.getModelVersion.mockResolvedValue(modelVersion({ name: 'iris', version: '2' }));
    mocked.listEvaluations.mockResolvedValue({ items: [evaluation()], next_cursor: null });
    mocked.listRollouts.mockResolvedValue({
      items: [rollout({ id: 'mine', model: 'iris:2', state: 'Completed', traffic_percent: 100 }), rollout({ id: 'other', model: 'iris:3' })],
      next_cursor: null
    });
    const events = new ServiceEvents(null);
    const model = new VersionDetailModel({ model: 'iris', version: '2', events, auto: false });
    const modelActions = Object.fromEntries(
      ['deploy', 'addAlias', 'removeAlias', 'register', 'deleteModel', 'deleteVersion'].map(k => [k, jest.fn()])
    ) as unknown as IModelActions;
    const host = detailHost();
    render(<VersionView model={model} actions={modelActions} host={host} />);
    await act(() => model.refresh());
    expect(mocked.listEvaluations).toHaveBeenCalledWith({ model: 'iris', version: '2', limit: 50 });
    const item = document.querySelector('.jp-mlservice-evaluation[data-evaluation="ev-1"]')!;
    expect(item.getAttribute('data-passed')).toBe('true');
    expect(item.textContent).toContain('iris:2 vs iris:1');
    expect(item.querySelector('tr[data-metric="f1"]')!.textContent).toContain('+0.050 [0.010, 0.090]');
    expect(item.querySelector('a.jp-mlservice-evaluation-job')!.getAttribute('href')).toBe('http://localhost/lab/mlservice/jobs/job-ev');
    const promotions = document.querySelectorAll('.jp-mlservice-promotion');
    expect([...promotions].map(p => p.getAttribute('data-rollout'))).toEqual(['mine']);
    expect(promotions[0].getAttribute('data-state')).toBe('Completed');
    expect(promotions[0].querySelector('a')!.getAttribute('href')).toBe('http://localhost/lab/mlservice/automation/rollouts/mine');

    events.emit('evaluation', { id: 'ev-2', candidate: 'iris:2', status: 'Completed', passed: false });
    await act(() => settle(10));
    expect(mocked.listEvaluations).toHaveBeenCalledTimes(2);
    events.emit('rollout', { id: 'mine', action: 'updated', state: 'Completed' });
    await act(() => settle(10));
    expect(mocked.listRollouts).toHaveBeenCalledTimes(3);
    model.dispose();
  });

  it('still shows the version when evaluations cannot be read', async () => {
    mocked.getModelVersion.mockResolvedValue(modelVersion({ name: 'iris', version: '2' }));
    mocked.listEvaluations.mockRejectedValue(new Error('no route'));
    mocked.listRollouts.mockRejectedValue(new Error('no route'));
    const model = new VersionDetailModel({ model: 'iris', version: '2', auto: false });
    await model.refresh();
    expect(model.error).toBeNull();
    expect(model.modelVersion?.version).toBe('2');
    expect(model.evaluations).toEqual([]);
    model.dispose();
  });
});
