import * as api from '../api/client';
import { TargetDetailModel, TargetsModel, targetNames } from '../areas/compute/model';
import { ExperimentsModel, RunDetailModel, RunsModel } from '../areas/experiments/model';
import { JobDetailModel, JobsModel } from '../areas/jobs/model';
import { PolledModel } from '../models/base';
import { ServiceEvents, addEventKind } from '../models/events';
import { experiment, fakeEventManager, job, run, settle, target } from './fixtures';

jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

const SCHEMA = 'https://events.jupyter.org/jupyter_mlservice/';

// A new area declares its kind of event from its own folder, as the area recipe says.
declare module '../models/events' {
  interface IServiceEventMap {
    dataset: { name: string; version: string | null; action: string };
  }
}

describe('ServiceEvents', () => {
  it('delivers each area’s events by kind and ignores other schemas', () => {
    const { manager, emit } = fakeEventManager();
    const events = new ServiceEvents(manager);
    const seen: string[] = [];
    events.on('job', e => seen.push(`job ${e.job_id} ${e.status}`));
    events.on('endpoint', e => seen.push(`endpoint ${e.endpoint} ${e.action}`));
    events.on('model', e => seen.push(`model ${e.name}:${e.version} ${e.action}`));
    events.on('schedule', e => seen.push(`schedule ${e.name} ${e.action}`));
    const target = events.on('target', e => seen.push(`target ${e.name} ${e.action}`));
    emit({ schema_id: `${SCHEMA}job`, job_id: 'j1', status: 'Running', target: 'local' });
    emit({ schema_id: `${SCHEMA}endpoint`, endpoint: 'iris', deployment: 'blue', action: 'status', status: 'Healthy' });
    emit({ schema_id: `${SCHEMA}model`, name: 'iris', version: '3', action: 'registered', alias: null });
    emit({ schema_id: `${SCHEMA}schedule`, name: 'nightly', action: 'fired', run_id: 3, status: null });
    emit({ schema_id: `${SCHEMA}target`, name: 'gpu', action: 'created', status: null });
    emit({ schema_id: 'https://events.jupyter.org/jupyter_server/contents_service/v1', path: 'x' });
    emit({ schema_id: `${SCHEMA}job`, version: 1 }); // no job id: not a job event
    target.dispose();
    emit({ schema_id: `${SCHEMA}target`, name: 'gpu', action: 'deleted', status: null });
    expect(seen).toEqual([
      'job j1 Running',
      'endpoint iris status',
      'model iris:3 registered',
      'schedule nightly fired',
      'target gpu created'
    ]);
    expect(events.connected).toBe(true);
    events.dispose();
  });

  it('takes a new area’s kind of event once the area adds it', () => {
    const { manager, emit } = fakeEventManager();
    const events = new ServiceEvents(manager);
    const seen: string[] = [];
    events.on('dataset', e => seen.push(`${e.name}@${e.version} ${e.action}`));
    emit({ schema_id: `${SCHEMA}dataset`, name: 'iris', version: '1', action: 'created' });
    addEventKind('dataset', 'name');
    emit({ schema_id: `${SCHEMA}dataset`, name: 'iris', version: '2', action: 'created' });
    emit({ schema_id: `${SCHEMA}dataset`, version: '3', action: 'created' }); // no name: not one
    expect(seen).toEqual(['iris@2 created']);
    events.dispose();
  });

  it('has nothing to deliver without an event manager', () => {
    expect(new ServiceEvents(null).connected).toBe(false);
  });
});

describe('PolledModel', () => {
  it('polls at the user’s interval unless a model asks for its own, and follows the setting', () => {
    const before = PolledModel.fallbackInterval;
    const follower = new JobsModel({ auto: false });
    const own = new JobDetailModel({ id: 'j', auto: false });
    expect(follower.poll.frequency.interval).toBe(before);
    expect(own.poll.frequency.interval).toBe(2000);
    PolledModel.fallbackInterval = 90000;
    expect(follower.poll.frequency.interval).toBe(90000);
    expect(own.poll.frequency.interval).toBe(2000);
    follower.dispose();
    own.dispose();
    PolledModel.fallbackInterval = before;
  });
});

describe('TargetsModel', () => {
  it('lists a page of targets, every name and the backend types', async () => {
    mocked.listTargets.mockResolvedValue({ items: [target({ name: 'a' }), target({ name: 'b' })], next_cursor: null });
    mocked.getInfo.mockResolvedValue({ backends: ['local', 'ray'] } as any);
    const model = new TargetsModel({ auto: false });
    await model.refresh();
    expect(model.items.map(t => t.name)).toEqual(['a', 'b']);
    expect(model.names).toEqual(['a', 'b']);
    expect(model.backends).toEqual(['local', 'ray']);
    expect(model.error).toBeNull();
    model.dispose();
  });

  it('follows every cursor for the names the dialogs offer', async () => {
    mocked.listTargets
      .mockResolvedValueOnce({ items: [target({ name: 'a' })], next_cursor: 'c1' })
      .mockResolvedValueOnce({ items: [target({ name: 'b' })], next_cursor: null });
    expect(await targetNames()).toEqual(['a', 'b']);
    expect(mocked.listTargets.mock.calls[1][0]).toMatchObject({ cursor: 'c1' });
  });

  it('keeps the error message when the server fails', async () => {
    mocked.listTargets.mockRejectedValue(new api.MLServiceError('database is locked', 500));
    const model = new TargetsModel({ auto: false });
    await model.refresh();
    expect(model.error).toBe('database is locked');
    model.dispose();
  });

  it('refreshes on target and job events: counts move with jobs', async () => {
    mocked.listTargets.mockResolvedValue({ items: [target()], next_cursor: null });
    mocked.getInfo.mockResolvedValue({ backends: [] } as any);
    const events = new ServiceEvents(null);
    const model = new TargetsModel({ auto: false, events });
    events.emit('target', { name: 'gpu', action: 'created', status: null });
    await settle(20);
    events.emit('job', { job_id: 'j', status: 'Running' });
    await settle(20);
    expect(mocked.listTargets.mock.calls.length).toBeGreaterThanOrEqual(2);
    model.dispose();
  });

  it('creates and deletes through the API and says so to every model', async () => {
    mocked.createTarget.mockResolvedValue(target({ name: 'x' }));
    const events = new ServiceEvents(null);
    const said: string[] = [];
    events.on('target', e => said.push(`${e.name} ${e.action}`));
    const model = new TargetsModel({ auto: false, events });
    await model.create({ name: 'x', type: 'local', description: '', settings: {} });
    await model.remove('x');
    expect(mocked.deleteTarget).toHaveBeenCalledWith('x');
    expect(said).toEqual(['x created', 'x deleted']);
    model.dispose();
  });

  it('one target’s view knows when the target is gone', async () => {
    mocked.getTarget.mockRejectedValue(new api.MLServiceError('no target "x"', 404));
    const model = new TargetDetailModel({ target: 'x', auto: false });
    await model.refresh();
    expect(model.gone).toBe(true);
    expect(model.error).toBeNull();
    model.dispose();
  });
});

describe('JobsModel', () => {
  it('pages forward and back with cursors', async () => {
    mocked.listJobs.mockImplementation(async (query: any) =>
      query.cursor === 'p2'
        ? { items: [job({ id: 'old' })], next_cursor: null }
        : { items: [job({ id: 'new' })], next_cursor: 'p2' }
    );
    const model = new JobsModel({ auto: false, pageSize: 1 });
    await model.refresh();
    expect(model.items[0].id).toBe('new');
    expect(model.hasNext).toBe(true);
    expect(model.hasPrevious).toBe(false);
    await model.nextPage();
    expect(model.items[0].id).toBe('old');
    expect(model.page).toBe(1);
    expect(model.hasNext).toBe(false);
    await model.previousPage();
    expect(model.items[0].id).toBe('new');
    model.dispose();
  });

  it('sends the filter and resets to the first page when it changes', async () => {
    mocked.listJobs.mockResolvedValue({ items: [], next_cursor: 'p2' });
    const model = new JobsModel({ auto: false });
    await model.refresh();
    await model.nextPage();
    await model.setFilter({ status: 'Failed', target: 'gpu' });
    const last = mocked.listJobs.mock.calls[mocked.listJobs.mock.calls.length - 1][0];
    expect(last).toMatchObject({ status: 'Failed', target: 'gpu', cursor: null });
    expect(model.page).toBe(0);
    model.dispose();
  });

  it('refreshes when the server pushes a job event', async () => {
    mocked.listJobs.mockResolvedValue({ items: [job({ status: 'Completed' })], next_cursor: null });
    const { manager, emit } = fakeEventManager();
    const events = new ServiceEvents(manager);
    const model = new JobsModel({ auto: false, events });
    const changed = new Promise<void>(resolve => model.changed.connect(() => resolve()));
    emit({ schema_id: `${SCHEMA}job`, job_id: 'job1', status: 'Completed' });
    await changed;
    expect(mocked.listJobs).toHaveBeenCalledTimes(1);
    expect(model.items[0].status).toBe('Completed');
    model.dispose();
    events.dispose();
  });

  it('fetches again when an event arrives while a fetch is in flight', async () => {
    // The first reply was read before the job ended; the event that says so arrives meanwhile.
    let release: () => void = () => undefined;
    const gate = new Promise<void>(resolve => (release = resolve));
    mocked.listJobs
      .mockImplementationOnce(async () => {
        await gate;
        return { items: [job({ status: 'Running' })], next_cursor: null };
      })
      .mockResolvedValue({ items: [job({ status: 'Completed' })], next_cursor: null });
    const model = new JobsModel({ auto: false });
    const first = model.refresh();
    await settle(10);
    const second = model.refresh();
    release();
    await Promise.all([first, second]);
    expect(mocked.listJobs).toHaveBeenCalledTimes(2);
    expect(model.items[0].status).toBe('Completed');
    model.dispose();
  });

  it('cancels, re-runs and submits, telling the other models at once', async () => {
    mocked.cancelJob.mockResolvedValue(job({ id: 'a', status: 'CancelRequested' }));
    mocked.rerunJob.mockResolvedValue(job({ id: 'b', status: 'Queued' }));
    mocked.submitJob.mockResolvedValue(job({ id: 'c', status: 'Queued' }));
    const events = new ServiceEvents(null);
    const said: string[] = [];
    events.on('job', e => said.push(`${e.job_id} ${e.status}`));
    const model = new JobsModel({ auto: false, events });
    mocked.listJobs.mockResolvedValue({ items: [], next_cursor: null });
    expect((await model.cancel('a')).status).toBe('CancelRequested');
    expect((await model.rerun('a')).id).toBe('b');
    expect((await model.submit({ kind: 'notebook', notebook: 'x.ipynb' })).id).toBe('c');
    expect(said).toEqual(['a CancelRequested', 'b Queued', 'c Queued']);
    model.dispose();
  });
});

describe('JobDetailModel', () => {
  it('follows the log from the last offset and settles once the job ended', async () => {
    mocked.getJob.mockResolvedValueOnce(job({ status: 'Running' })).mockResolvedValue(job({ status: 'Completed', exit_code: 0 }));
    mocked.getJobLogs
      .mockResolvedValueOnce({ text: 'hello\n', offset: 6, size: 6, complete: false })
      .mockResolvedValueOnce({ text: 'world\n', offset: 12, size: 12, complete: true });
    mocked.getJobMetrics.mockResolvedValue({ run_id: 'run1', metrics: { loss: [{ step: 0, value: 1, timestamp: 1 }] }, params: { alpha: '0.5' } });
    mocked.listJobArtifacts.mockResolvedValue({
      items: [
        { path: 'logs', is_dir: true, size: null },
        { path: 'train.ipynb', is_dir: false, size: 100 }
      ]
    });
    const model = new JobDetailModel({ id: 'job1', auto: false });
    await model.refresh();
    expect(model.log).toBe('hello\n');
    expect(model.settled).toBe(false);
    expect(mocked.listJobArtifacts).not.toHaveBeenCalled();
    await model.refresh();
    expect(mocked.getJobLogs.mock.calls.map(c => c[1])).toEqual([0, 6]);
    expect(model.log).toBe('hello\nworld\n');
    expect(model.logComplete).toBe(true);
    expect(model.metrics?.metrics.loss).toHaveLength(1);
    expect(model.executedNotebook).toBe('train.ipynb');
    expect(model.settled).toBe(true);
    // Settled: no more requests.
    await model.refresh();
    expect(mocked.getJob).toHaveBeenCalledTimes(2);
    model.dispose();
  });

  it('starts again on an event about its job (a retry), not on other jobs’', async () => {
    mocked.getJob.mockResolvedValue(job({ status: 'Failed' }));
    mocked.getJobLogs.mockResolvedValue({ text: '', offset: 0, size: 0, complete: true });
    const events = new ServiceEvents(null);
    const model = new JobDetailModel({ id: 'job1', auto: false, events });
    await model.refresh();
    expect(model.settled).toBe(true);
    events.emit('job', { job_id: 'other', status: 'Queued' });
    expect(model.settled).toBe(true);
    mocked.getJob.mockResolvedValue(job({ status: 'Queued', attempt: 2 }));
    events.emit('job', { job_id: 'job1', status: 'Queued' });
    expect(model.settled).toBe(false);
    await settle(20);
    expect(model.job?.attempt).toBe(2);
    model.dispose();
  });

  it('knows when a link names a job that does not exist, and stops reading', async () => {
    mocked.getJob.mockRejectedValue(new api.MLServiceError('no job "nope"', 404));
    const model = new JobDetailModel({ id: 'nope', auto: false });
    await model.refresh();
    expect(model.gone).toBe(true);
    expect(model.error).toBeNull();
    expect(mocked.getJobLogs).not.toHaveBeenCalled();
    model.dispose();
  });
});

describe('ExperimentsModel and RunsModel', () => {
  it('lists experiments a page at a time and refreshes when a job starts or ends', async () => {
    mocked.listExperiments.mockResolvedValue({ items: [experiment()], next_cursor: null });
    const events = new ServiceEvents(null);
    const model = new ExperimentsModel({ auto: false, events });
    await model.refresh();
    expect(model.items.map(e => e.name)).toEqual(['train']);
    events.emit('job', { job_id: 'j', status: 'Preparing' });
    await settle(10);
    expect(mocked.listExperiments).toHaveBeenCalledTimes(1);
    events.emit('job', { job_id: 'j', status: 'Completed' });
    await settle(20);
    expect(mocked.listExperiments).toHaveBeenCalledTimes(2);
    model.dispose();
  });

  it('sorts runs by any metric on the server and offers every metric seen', async () => {
    mocked.listExperiments.mockResolvedValue({ items: [experiment({ experiment_id: '7', name: 'big' })], next_cursor: null });
    mocked.listRuns.mockResolvedValue({
      items: [run({ run_id: 'r1', metrics: { rmse: 1 } }), run({ run_id: 'r2', metrics: { rmse: 2, r2: 0.1 } })],
      next_cursor: 'more'
    });
    const model = new RunsModel({ experimentId: '7', auto: false });
    await model.refresh();
    expect(mocked.listRuns.mock.calls[0]).toEqual(['7', { order_by: 'attributes.start_time DESC', limit: 50, cursor: null }]);
    expect(model.metricNames).toEqual(['r2', 'rmse']);
    expect(model.experiment?.name).toBe('big');
    expect(model.serverSorts.has('metric:rmse')).toBe(true);
    await model.setSort({ column: 'metric:rmse', descending: false });
    expect(mocked.listRuns.mock.calls[1][1]).toMatchObject({ order_by: 'metrics.`rmse` ASC', cursor: null });
    model.select([model.items[1], model.items[0]]);
    expect(model.selected.map(r => r.run_id)).toEqual(['r2', 'r1']);
    model.dispose();
  });

  it('reads one run through the runs filter and its metric histories', async () => {
    mocked.listRuns.mockResolvedValue({ items: [run({ run_id: 'abc', tags: { 'mlservice.job_id': 'job-9' } })], next_cursor: null });
    mocked.getRunMetrics.mockResolvedValue({ run_id: 'abc', metrics: { loss: [{ step: 0, value: 1, timestamp: 0 }] }, params: { a: '1' } });
    const model = new RunDetailModel({ experimentId: '1', runId: 'abc', auto: false });
    await model.refresh();
    expect(mocked.listRuns).toHaveBeenCalledWith('1', { filter: "attributes.run_id = 'abc'", limit: 1 });
    expect(model.run?.tags?.['mlservice.job_id']).toBe('job-9');
    expect(model.metrics?.params).toEqual({ a: '1' });
    model.dispose();
  });
});
