import { act, fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../../api/client';
import { JobDetailModel } from '../../areas/jobs/model';
import { job } from '../../__tests__/fixtures';
import { JobRun, logTail } from '../JobRun';
import { studioLinks } from '../links';

jest.mock('uplot', () => jest.requireActual('../../__tests__/fixtures').fakeUPlot());
jest.mock('../../api/client', () => jest.requireActual('../../__tests__/fixtures').mockClient());

// The real package ships ES modules Jest does not transform; the view only needs this much.
jest.mock('@jupyter-widgets/base', () => {
  class DOMWidgetModel {
    static serializers = {};
    defaults(): any {
      return {};
    }
  }
  class DOMWidgetView {
    el: HTMLElement = document.createElement('div');
    model: any;
    listeners: Array<[string, () => void]> = [];
    constructor(options: { model: any }) {
      this.model = options.model;
    }
    listenTo(_: unknown, event: string, fn: () => void): void {
      this.listeners.push([event, fn]);
    }
    remove(): this {
      return this;
    }
  }
  return { DOMWidgetModel, DOMWidgetView };
});

const mocked = api as jest.Mocked<typeof api>;

function metrics() {
  return {
    run_id: 'run1',
    metrics: {
      loss: [
        { step: 0, value: 1, timestamp: 1 },
        { step: 1, value: 0.25, timestamp: 2 }
      ],
      accuracy: [{ step: 0, value: 0.9, timestamp: 1 }]
    },
    params: { alpha: '0.5' }
  };
}

beforeEach(() => {
  jest.clearAllMocks();
  mocked.listJobArtifacts.mockResolvedValue({ items: [] });
});

describe('JobRun', () => {
  it('shows status, target, params, a chart per metric and the log tail', async () => {
    mocked.getJob.mockResolvedValue(job({ id: 'j1', kind: 'code', status: 'Running', target: 'cpu', duration_s: 3 }));
    mocked.getJobLogs.mockResolvedValue({ text: 'epoch 1\nepoch 2\n', offset: 16, size: 16, complete: false });
    mocked.getJobMetrics.mockResolvedValue(metrics());
    const model = new JobDetailModel({ id: 'j1', auto: false });
    const { container } = render(
      <JobRun model={model} summary={{ id: 'j1', status: 'Queued', parameters: { epochs: 3 } }} onCancel={jest.fn()} />
    );
    // First paint comes from the kernel's summary, before any request answers.
    expect(container.querySelector('[data-status="Queued"]')).not.toBeNull();
    await act(() => model.refresh());
    expect(container.querySelector('.jp-mlservice-run[data-status="Running"]')).not.toBeNull();
    expect(screen.getByText(/target cpu/)).toBeTruthy();
    expect(screen.getByText('alpha')).toBeTruthy();
    expect(screen.getByText('epochs')).toBeTruthy();
    expect(container.querySelector('[data-metric^="loss"] canvas')).not.toBeNull();
    expect(container.querySelector('[data-metric^="accuracy"] canvas')).not.toBeNull();
    expect(screen.getByText('loss = 0.2500')).toBeTruthy();
    expect(screen.getByText(/epoch 2/)).toBeTruthy();
    model.dispose();
  });

  it('offers Cancel while the job runs, and not once it ended', async () => {
    mocked.getJob.mockResolvedValue(job({ id: 'j2', status: 'Running' }));
    mocked.getJobLogs.mockResolvedValue({ text: '', offset: 0, size: 0, complete: false });
    mocked.getJobMetrics.mockResolvedValue({ run_id: 'run1', metrics: {}, params: {} });
    const model = new JobDetailModel({ id: 'j2', auto: false });
    const onCancel = jest.fn();
    render(<JobRun model={model} onCancel={onCancel} />);
    await act(() => model.refresh());
    fireEvent.click(screen.getByText('Cancel'));
    expect(onCancel).toHaveBeenCalledTimes(1);

    mocked.getJob.mockResolvedValue(job({ id: 'j2', status: 'Canceled' }));
    mocked.getJobLogs.mockResolvedValue({ text: '', offset: 0, size: 0, complete: true });
    await act(() => model.refresh());
    expect(screen.queryByText('Cancel')).toBeNull();
    expect(model.settled).toBe(true);
    model.dispose();
  });

  it("links to the job's view in the ML Studio, opened in place when the studio is there", async () => {
    mocked.getJob.mockResolvedValue(job({ id: 'j4', status: 'Completed' }));
    mocked.getJobLogs.mockResolvedValue({ text: '', offset: 0, size: 0, complete: true });
    mocked.getJobMetrics.mockResolvedValue({ run_id: 'run1', metrics: {}, params: {} });
    const model = new JobDetailModel({ id: 'j4', auto: false });
    render(<JobRun model={model} onCancel={jest.fn()} />);
    const link = screen.getByText('Open in ML Studio') as HTMLAnchorElement;
    expect(new URL(link.href).pathname).toBe('/lab/mlservice/jobs/j4');
    const open = jest.fn();
    studioLinks.open = open;
    fireEvent.click(link);
    expect(open).toHaveBeenCalledWith('jobs/j4');
    studioLinks.open = null;
    model.dispose();
  });

  it('keeps only the tail of a long log', () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const tail = logTail(text, 10);
    expect(tail.split('\n').filter(Boolean)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${490 + i}`));
    expect(logTail('a\nb\n', 10)).toBe('a\nb\n');
  });
});

describe('JobWidgetView', () => {
  it('polls the job named by the model and stops when it ends', async () => {
    const { JobWidgetView, POLL_INTERVAL } = await import('../widget');
    expect(POLL_INTERVAL).toBeLessThanOrEqual(2000);
    mocked.getJob.mockResolvedValue(job({ id: 'j3', status: 'Completed' }));
    mocked.getJobLogs.mockResolvedValue({ text: 'done\n', offset: 5, size: 5, complete: true });
    mocked.getJobMetrics.mockResolvedValue(metrics());
    const state: Record<string, unknown> = { job_id: 'j3', summary: { id: 'j3', status: 'Queued' } };
    const view = new (JobWidgetView as any)({ model: { get: (k: string) => state[k] } });
    document.body.appendChild(view.el);
    await act(async () => {
      view.render();
    });
    expect(view.detail.id).toBe('j3');
    await act(() => view.detail.refresh());
    expect(mocked.getJob).toHaveBeenCalledWith('j3');
    expect(view.detail.settled).toBe(true);
    expect(view.el.querySelector('[data-status="Completed"]')).not.toBeNull();
    const detail = view.detail;
    view.remove();
    expect(detail.isDisposed).toBe(true);
  });
});
