import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../api/client';
import { ClusterStatus, ComputeSection } from '../components/ComputeSection';
import { JobDetail } from '../components/JobDetail';
import { JobsSection } from '../components/JobsSection';
import { alignSeries } from '../components/MetricChart';
import { JobDetailModel } from '../models/jobDetail';
import { JobsModel } from '../models/jobs';
import { TargetsModel } from '../models/targets';
import { job, target } from './fixtures';

jest.mock('uplot', () => {
  const instances: any[] = [];
  const UPlot = jest.fn().mockImplementation((options: any, data: any, host: HTMLElement) => {
    const canvas = document.createElement('canvas');
    host.appendChild(canvas);
    const plot = { options, data, setData: jest.fn(), setSize: jest.fn(), destroy: jest.fn() };
    instances.push(plot);
    return plot;
  });
  (UPlot as any).instances = instances;
  return { __esModule: true, default: UPlot };
});

jest.mock('../api/client', () => {
  const actual = jest.requireActual('../api/client');
  const fns = ['getInfo', 'listTargets', 'listJobs', 'getJob', 'getJobLogs', 'getJobMetrics', 'listJobArtifacts', 'getJobProgress'];
  return { ...actual, ...Object.fromEntries(fns.map(f => [f, jest.fn()])) };
});

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.clearAllMocks());

describe('ComputeSection', () => {
  it('shows type, capacity and counts, and asks before deleting', async () => {
    mocked.listTargets.mockResolvedValue({
      items: [target({ name: 'cpu', type: 'local', capacity: 4, running: 1, queued: 3 })],
      next_cursor: null
    });
    mocked.getInfo.mockResolvedValue({ backends: ['local'] } as any);
    const model = new TargetsModel({ auto: false });
    const onDelete = jest.fn();
    render(<ComputeSection model={model} onDelete={onDelete} onCreate={jest.fn()} />);
    await React.act(() => model.refresh());
    expect(screen.getByText('cpu')).toBeTruthy();
    expect(screen.getByText('capacity 4')).toBeTruthy();
    expect(screen.getByText('1 running')).toBeTruthy();
    expect(screen.getByText('3 queued')).toBeTruthy();
    fireEvent.click(screen.getByLabelText('Delete cpu'));
    expect(onDelete).toHaveBeenCalledWith('cpu');
    model.dispose();
  });
});

describe('JobsSection', () => {
  it('lists jobs with their status and offers the actions that apply', async () => {
    mocked.listJobs.mockResolvedValue({
      items: [job({ id: 'a', status: 'Running' }), job({ id: 'b', status: 'Failed', display_name: 'train' })],
      next_cursor: null
    });
    mocked.listTargets.mockResolvedValue({ items: [], next_cursor: null });
    const jobs = new JobsModel({ auto: false });
    const targets = new TargetsModel({ auto: false });
    const handlers = { onOpen: jest.fn(), onCancel: jest.fn(), onRerun: jest.fn() };
    render(<JobsSection model={jobs} targets={targets} {...handlers} />);
    await React.act(() => jobs.refresh());
    const { container } = { container: document.body };
    expect(container.querySelector('[data-job-id="a"] [data-status="Running"]')).not.toBeNull();
    expect(screen.getByText('train')).toBeTruthy();
    expect(screen.queryByLabelText('Cancel b')).toBeNull();
    fireEvent.click(screen.getByLabelText('Cancel a'));
    fireEvent.click(screen.getByLabelText('Re-run b'));
    fireEvent.click(screen.getByText('train'));
    expect(handlers.onCancel).toHaveBeenCalledWith(expect.objectContaining({ id: 'a' }));
    expect(handlers.onRerun).toHaveBeenCalledWith(expect.objectContaining({ id: 'b' }));
    expect(handlers.onOpen).toHaveBeenCalledWith(expect.objectContaining({ id: 'b' }));
    jobs.dispose();
    targets.dispose();
  });

  it('filters by status through the model', async () => {
    mocked.listJobs.mockResolvedValue({ items: [], next_cursor: null });
    const jobs = new JobsModel({ auto: false });
    const targets = new TargetsModel({ auto: false });
    render(<JobsSection model={jobs} targets={targets} onOpen={jest.fn()} onCancel={jest.fn()} onRerun={jest.fn()} />);
    await React.act(async () => {
      fireEvent.change(screen.getByLabelText('Filter by status'), { target: { value: 'Completed' } });
      await jobs.poll.tick;
    });
    expect(mocked.listJobs).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'Completed' }));
    jobs.dispose();
    targets.dispose();
  });
});

describe('JobDetail', () => {
  it('shows the summary, a chart per metric, the log and artifact downloads', async () => {
    mocked.getJob.mockResolvedValue(job({ id: 'j1', status: 'Completed', exit_code: 0, display_name: 'train' }));
    mocked.getJobLogs.mockResolvedValue({ text: 'epoch 1\n', offset: 8, size: 8, complete: true });
    mocked.getJobMetrics.mockResolvedValue({
      run_id: 'run1',
      metrics: {
        loss: [
          { step: 0, value: 1, timestamp: 1 },
          { step: 1, value: 0.5, timestamp: 2 }
        ]
      },
      params: { alpha: '0.5' }
    });
    mocked.listJobArtifacts.mockResolvedValue({ items: [{ path: 'model.pkl', is_dir: false, size: 2048 }] });
    const model = new JobDetailModel({ id: 'j1', auto: false });
    const { container } = render(
      <JobDetail model={model} onCancel={jest.fn()} onRerun={jest.fn()} onOpenNotebook={jest.fn()} />
    );
    await React.act(() => model.refresh());
    expect(container.querySelector('[data-status="Completed"]')).not.toBeNull();
    expect(screen.getByText('alpha')).toBeTruthy();
    expect(container.querySelector('[data-metric="loss"] canvas')).not.toBeNull();
    expect(screen.getByText('epoch 1')).toBeTruthy();
    const link = screen.getByTitle('Download model.pkl') as HTMLAnchorElement;
    expect(link.href).toMatch(/mlservice\/api\/jobs\/j1\/artifacts\/download\?path=model.pkl$/);
    expect(screen.getByText('Re-run')).toBeTruthy();
    model.dispose();
  });
});

describe('alignSeries', () => {
  it('puts several runs on the union of their steps, with gaps', () => {
    const data = alignSeries([
      { label: 'a', points: [{ step: 0, value: 1, timestamp: 0 }, { step: 2, value: 3, timestamp: 1 }] },
      { label: 'b', points: [{ step: 1, value: 5, timestamp: 0 }] }
    ]);
    expect(data).toEqual([[0, 1, 2], [1, null, 3], [null, 5, null]]);
  });
});

describe('ClusterStatus', () => {
  it('shows nodes with their resources and use, and jobs waiting on the cluster', () => {
    render(
      <ClusterStatus
        status={{
          state: 'ready',
          nodes: [
            { node_id: 'a', is_head: true, node_type: 'head', state: 'ALIVE', resources: { CPU: 2 }, utilisation: { CPU: 0.5 } },
            { node_id: 'b', node_type: 'gpu', state: 'ALIVE', resources: { CPU: 1, GPU: 1 }, utilisation: { CPU: 1, GPU: 1 } }
          ],
          queued_jobs: [{ job_id: 'job-1', since_s: 3 }]
        }}
      />
    );
    expect(screen.getByText('2 node(s)')).toBeTruthy();
    expect(screen.getByText('1 waiting on the cluster')).toBeTruthy();
    expect(screen.getByText('gpu')).toBeTruthy();
    expect(screen.getByText('100% / 100%')).toBeTruthy();
  });

  it('renders nothing for a local target', () => {
    const { container } = render(<ClusterStatus status={{}} />);
    expect(container.innerHTML).toBe('');
  });
});
