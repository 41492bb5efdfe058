import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../api/client';
import { TargetDetailModel, TargetsModel } from '../areas/compute/model';
import { ClusterStatus, TargetView, targetColumns } from '../areas/compute/view';
import { JobDetailModel, JobsModel } from '../areas/jobs/model';
import { IJobActions, JobView, jobColumns, jobFilters } from '../areas/jobs/view';
import { DetailFrame } from '../components/DetailFrame';
import { EntityList } from '../components/EntityList';
import { alignSeries } from '../components/MetricChart';
import { detailHost, job, target } from './fixtures';

jest.mock('uplot', () => jest.requireActual('./fixtures').fakeUPlot());
jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

describe('the Compute area', () => {
  it('lists targets with type, capacity and counts', async () => {
    mocked.listTargets.mockResolvedValue({
      items: [target({ name: 'cpu', type: 'local', capacity: 4, running: 1, queued: 3 })],
      next_cursor: null
    });
    mocked.getInfo.mockResolvedValue({ backends: ['local'] } as any);
    const model = new TargetsModel({ auto: false });
    const onOpen = jest.fn();
    render(<EntityList model={model} label="Compute" columns={targetColumns()} onOpen={onOpen} />);
    await React.act(() => model.refresh());
    const row = document.querySelector('tr[data-key="cpu"]')!;
    expect([...row.querySelectorAll('td')].map(td => td.textContent)).toEqual(['', 'cpu', 'local', '4', '1', '3', '']);
    fireEvent.click(screen.getByText('cpu'));
    expect(onOpen).toHaveBeenCalledWith(expect.objectContaining({ name: 'cpu' }));
    model.dispose();
  });

  it('a target shows its settings and its cluster, and offers Delete', async () => {
    mocked.getTarget.mockResolvedValue(
      target({
        name: 'ray',
        type: 'ray',
        settings: { max_nodes: 2 },
        status: { state: 'ready', nodes: [{ node_id: 'h', is_head: true, resources: { CPU: 2 }, utilisation: { CPU: 0.5 } }] }
      })
    );
    const model = new TargetDetailModel({ target: 'ray', auto: false });
    const onDelete = jest.fn();
    render(<TargetView model={model} host={detailHost()} onDelete={onDelete} />);
    await React.act(() => model.refresh());
    expect(document.querySelector('.jp-mlservice-target-settings')!.textContent).toContain('"max_nodes": 2');
    expect(screen.getByText('1 node')).toBeTruthy();
    fireEvent.click(screen.getByText('Delete'));
    expect(onDelete).toHaveBeenCalledWith('ray');
    model.dispose();
  });
});

describe('the Jobs area', () => {
  it('lists jobs with their status, kind, target and experiment', async () => {
    mocked.listJobs.mockResolvedValue({
      items: [job({ id: 'a', status: 'Running' }), job({ id: 'b', status: 'Failed', display_name: 'train' })],
      next_cursor: null
    });
    const jobs = new JobsModel({ auto: false });
    render(<EntityList model={jobs} label="Jobs" columns={jobColumns(jobs)} onOpen={jest.fn()} rowData={j => ({ 'job-id': j.id })} />);
    await React.act(() => jobs.refresh());
    expect(document.querySelector('[data-job-id="a"] [data-status="Running"]')).not.toBeNull();
    expect(screen.getByText('train')).toBeTruthy();
    jobs.dispose();
  });

  it('filters by status and target on the server', async () => {
    mocked.listJobs.mockResolvedValue({ items: [], next_cursor: null });
    const jobs = new JobsModel({ auto: false });
    render(<EntityList model={jobs} label="Jobs" columns={jobColumns(jobs)} filters={jobFilters(() => ['local', 'gpu'])} onOpen={jest.fn()} />);
    await React.act(async () => {
      fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'Completed' } });
      await jobs.poll.tick;
    });
    expect(mocked.listJobs).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'Completed' }));
    await React.act(async () => {
      fireEvent.change(screen.getByLabelText('Target'), { target: { value: 'gpu' } });
      await jobs.poll.tick;
    });
    expect(mocked.listJobs).toHaveBeenLastCalledWith(expect.objectContaining({ status: 'Completed', target: 'gpu' }));
    jobs.dispose();
  });

  it('a job shows its summary, a chart per metric, the log and artifact downloads', async () => {
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
    const actions: IJobActions & Record<string, jest.Mock> = {
      cancel: jest.fn(),
      rerun: jest.fn(),
      openNotebook: jest.fn(),
      compare: jest.fn(),
      registerModel: jest.fn()
    };
    const host = detailHost();
    const { container } = render(<JobView model={model} actions={actions} host={host} />);
    await React.act(() => model.refresh());
    expect(container.querySelector('[data-job-id="j1"] [data-status="Completed"]')).not.toBeNull();
    expect(screen.getByText('alpha')).toBeTruthy();
    expect(container.querySelector('[data-metric="loss"] canvas')).not.toBeNull();
    expect(screen.getByText('epoch 1')).toBeTruthy();
    const link = screen.getByTitle('Download model.pkl') as HTMLAnchorElement;
    expect(link.href).toMatch(/mlservice\/api\/jobs\/j1\/artifacts\/download\?path=model.pkl$/);
    expect(screen.queryByText('Cancel')).toBeNull();
    fireEvent.click(screen.getByText('Re-run'));
    expect(actions.rerun).toHaveBeenCalledWith('j1');
    fireEvent.click(screen.getByText('Register model'));
    expect(actions.registerModel).toHaveBeenCalledWith('j1');
    fireEvent.click(screen.getByText('Compare'));
    expect(actions.compare).toHaveBeenCalledWith(expect.objectContaining({ id: 'j1' }));
    // The experiment links to its view in the studio.
    fireEvent.click(screen.getByTitle('Experiment'));
    expect(host.open).toHaveBeenCalledWith('experiments/1');
    fireEvent.click(screen.getByLabelText('Copy the link to this Job'));
    expect(host.copy).toHaveBeenCalledWith(host.link, expect.any(String));
    model.dispose();
  });
});

describe('DetailFrame', () => {
  function frame(model: { loading: boolean; error: string | null; gone: boolean }) {
    return (
      <DetailFrame host={detailHost()} kind="Job" title="job-1" status="Running" model={model} actions={[{ label: 'Cancel', onClick: jest.fn() }]}>
        <p>the sections</p>
      </DetailFrame>
    );
  }

  it('reads its model: loading, then the sections or the error', () => {
    const { rerender } = render(frame({ loading: true, error: null, gone: false }));
    expect(screen.getByText('Loading…')).toBeTruthy();
    expect(screen.queryByText('the sections')).toBeNull();
    rerender(frame({ loading: false, error: null, gone: false }));
    expect(screen.getByText('the sections')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
    rerender(frame({ loading: false, error: 'server down', gone: false }));
    expect(screen.getByRole('alert').textContent).toBe('server down');
  });

  it('says the entity does not exist once its model is gone, with no status and no actions', () => {
    render(frame({ loading: false, error: null, gone: true }));
    expect(screen.getByText(/Job "job-1" does not exist/)).toBeTruthy();
    expect(screen.queryByText('the sections')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
    expect(document.querySelector('[data-status]')).toBeNull();
    // Its link can still be copied.
    expect(screen.getByRole('button', { name: 'Copy the link to this Job' })).toBeTruthy();
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
    expect(screen.getByText('2 nodes')).toBeTruthy();
    expect(screen.getByText('1 waiting on the cluster')).toBeTruthy();
    expect(screen.getByText('gpu')).toBeTruthy();
    expect(screen.getByText('100% / 100%')).toBeTruthy();
  });

  it('renders nothing for a local target', () => {
    const { container } = render(<ClusterStatus status={{}} />);
    expect(container.innerHTML).toBe('');
  });
});
