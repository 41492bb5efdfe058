import * as api from '../api/client';
import { JobEvents } from '../models/events';
import { ExperimentsModel } from '../models/experiments';
import { JobDetailModel } from '../models/jobDetail';
import { JobsModel } from '../models/jobs';
import { TargetsModel } from '../models/targets';
import { job, target } from './fixtures';

jest.mock('../api/client', () => {
  const actual = jest.requireActual('../api/client');
  const fns = [
    'getInfo', 'listTargets', 'createTarget', 'deleteTarget', 'listJobs', 'getJob', 'cancelJob',
    'rerunJob', 'getJobLogs', 'getJobMetrics', 'listJobArtifacts', 'listExperiments', 'listRuns', 'getJobProgress'
  ];
  return { ...actual, ...Object.fromEntries(fns.map(f => [f, jest.fn()])) };
});

const mocked = api as jest.Mocked<typeof api>;

/** A fake event manager: the models only need `stream`. */
function fakeEventManager() {
  const { Signal } = jest.requireActual('@lumino/signaling');
  const owner = {};
  const stream = new Signal(owner);
  return { manager: { stream } as any, emit: (data: any) => stream.emit(data) };
}

beforeEach(() => jest.resetAllMocks());

describe('TargetsModel', () => {
  it('loads every page of targets and the backend types', async () => {
    mocked.listTargets
      .mockResolvedValueOnce({ items: [target({ name: 'a' })], next_cursor: 'c1' })
      .mockResolvedValueOnce({ items: [target({ name: 'b' })], next_cursor: null });
    mocked.getInfo.mockResolvedValue({ backends: ['local', 'ray'] } as any);
    const model = new TargetsModel({ auto: false });
    await model.refresh();
    expect(model.items.map(t => t.name)).toEqual(['a', 'b']);
    expect(mocked.listTargets.mock.calls[1][0]).toMatchObject({ cursor: 'c1' });
    expect(model.backends).toEqual(['local', 'ray']);
    expect(model.error).toBeNull();
    model.dispose();
  });

  it('keeps the error message when the server fails', async () => {
    mocked.listTargets.mockRejectedValue(new api.MLServiceError('database is locked', 500));
    const model = new TargetsModel({ auto: false });
    await model.refresh();
    expect(model.error).toBe('database is locked');
    model.dispose();
  });

  it('refreshes after create and delete', async () => {
    mocked.listTargets.mockResolvedValue({ items: [], next_cursor: null });
    mocked.getInfo.mockResolvedValue({ backends: [] } as any);
    mocked.createTarget.mockResolvedValue(target({ name: 'x' }));
    const model = new TargetsModel({ auto: false });
    await model.create({ name: 'x', type: 'local', description: '', settings: {} });
    await model.remove('x');
    expect(mocked.deleteTarget).toHaveBeenCalledWith('x');
    expect(mocked.listTargets).toHaveBeenCalledTimes(2);
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

  it('refreshes when the server pushes a job event, and ignores other schemas', async () => {
    mocked.listJobs.mockResolvedValue({ items: [], next_cursor: null });
    const { manager, emit } = fakeEventManager();
    const events = new JobEvents(manager);
    const model = new JobsModel({ auto: false, events });
    expect(model.poll.frequency.interval).toBe(30000); // push available: slow fallback poll
    emit({ schema_id: 'https://events.jupyter.org/jupyter_server/contents_service/v1', path: 'x' });
    await new Promise(resolve => setTimeout(resolve, 10));
    expect(mocked.listJobs).not.toHaveBeenCalled();
    mocked.listJobs.mockResolvedValue({ items: [job({ status: 'Completed' })], next_cursor: null });
    const changed = new Promise<void>(resolve => model.changed.connect(() => resolve()));
    emit({ schema_id: api.JOB_EVENT_SCHEMA, job_id: 'job1', status: 'Completed' });
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
    await new Promise(resolve => setTimeout(resolve, 10));
    const second = model.refresh();
    release();
    await Promise.all([first, second]);
    expect(mocked.listJobs).toHaveBeenCalledTimes(2);
    expect(model.items[0].status).toBe('Completed');
    model.dispose();
  });

  it('polls faster without push events', () => {
    const model = new JobsModel({ auto: false, events: new JobEvents(null) });
    expect(model.poll.frequency.interval).toBe(5000);
    model.dispose();
  });
});

describe('JobDetailModel', () => {
  it('follows the log from the last offset and settles once the job ended', async () => {
    mocked.getJob
      .mockResolvedValueOnce(job({ status: 'Running' }))
      .mockResolvedValue(job({ status: 'Completed', exit_code: 0 }));
    mocked.getJobLogs
      .mockResolvedValueOnce({ text: 'hello\n', offset: 6, size: 6, complete: false })
      .mockResolvedValueOnce({ text: 'world\n', offset: 12, size: 12, complete: true });
    mocked.getJobMetrics.mockResolvedValue({
      run_id: 'run1',
      metrics: { loss: [{ step: 0, value: 1, timestamp: 1 }] },
      params: { alpha: '0.5' }
    });
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
});

describe('ExperimentsModel', () => {
  it('selects the first experiment, sorts runs by a metric on the server and tracks picks', async () => {
    mocked.listExperiments.mockResolvedValue({
      items: [{ experiment_id: '1', name: 'train' }],
      next_cursor: null
    } as any);
    mocked.listRuns.mockResolvedValue({
      items: [
        { run_id: 'r1', experiment_id: '1', status: 'FINISHED', metrics: { rmse: 1 }, params: {}, tags: {} },
        { run_id: 'r2', experiment_id: '1', status: 'FINISHED', metrics: { rmse: 2, r2: 0.1 }, params: {}, tags: {} }
      ],
      next_cursor: null
    } as any);
    const model = new ExperimentsModel({ auto: false });
    await model.refresh();
    expect(model.selectedExperiment).toBe('1');
    expect(model.metricNames).toEqual(['r2', 'rmse']);
    await model.setOrder({ metric: 'rmse', descending: false });
    const query = mocked.listRuns.mock.calls[mocked.listRuns.mock.calls.length - 1][1];
    expect(query?.order_by).toBe('metrics.`rmse` ASC');
    model.toggleRun('r2');
    model.toggleRun('r1');
    expect(model.selectedRuns.map(r => r.run_id)).toEqual(['r1', 'r2']);
    model.toggleRun('r1', false);
    expect(model.selection).toEqual(['r2']);
    model.dispose();
  });
});
