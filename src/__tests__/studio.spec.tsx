import { fireEvent, render, screen } from '@testing-library/react';
import { Signal } from '@lumino/signaling';
import * as React from 'react';

import * as api from '../api/client';
import { CompareModel } from '../areas/compare/model';
import { CompareView } from '../areas/compare/view';
import { EndpointHealthModel } from '../areas/endpoints/model';
import { HomeModel, findTutorials, isToday, notebookTitle } from '../areas/home/model';
import { HomeView } from '../areas/home/view';
import { PolledModel } from '../models/base';
import { ServiceEvents } from '../models/events';
import { IListQuery, ListModel } from '../models/list';
import { ServiceSettings } from '../settings';
import { joinPath, pathOfLocation, splitPath, studioUrl } from '../studio/links';
import { CompareSelection, StudioModel } from '../studio/model';
import { AreaRegistry, IArea } from '../studio/registry';
import { IStudioHost, Studio } from '../studio/view';
import { detailHost, job, schedule, target } from './fixtures';

jest.mock('uplot', () => jest.requireActual('./fixtures').fakeUPlot());
jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

describe('deep links', () => {
  it('every entity has a URL inside JupyterLab: /lab/mlservice/<area>/<key...>', () => {
    expect(new URL(studioUrl('jobs/job-1')).pathname).toBe('/lab/mlservice/jobs/job-1');
    expect(new URL(studioUrl('')).pathname).toBe('/lab/mlservice');
    expect(joinPath(['models', 'my model', '3'])).toBe('models/my%20model/3');
    expect(splitPath('models/my%20model/3/')).toEqual(['models', 'my model', '3']);
    // Compare links keep their commas readable.
    expect(joinPath(['compare', 'r1,r2'])).toBe('compare/r1,r2');
  });

  it('the router’s location gives the studio path, in any workspace', () => {
    expect(pathOfLocation('/lab/mlservice/endpoints/iris')).toBe('endpoints/iris');
    expect(pathOfLocation('/lab/workspaces/team-a/mlservice/jobs/j1')).toBe('jobs/j1');
    expect(pathOfLocation('/lab/mlservice')).toBe('');
    expect(pathOfLocation('/lab/tree/notebooks/a.ipynb')).toBeNull();
  });
});

/** A list of two fixed items: enough to drive the studio. */
class ThingsModel extends ListModel<{ name: string }> {
  key(item: { name: string }): string {
    return item.name;
  }
  protected async fetchPage(_query: IListQuery<Record<string, string | null>>) {
    return { items: [{ name: 'alpha' }, { name: 'beta' }], next_cursor: null };
  }
}

function thingsArea(model: ThingsModel, disposed: string[]): IArea {
  return {
    id: 'things',
    label: 'Things',
    rank: 100,
    caption: 'What things there are.',
    list: { model, columns: [{ id: 'name', label: 'Name', render: t => t.name }], path: t => [t.name] },
    detail: path =>
      path.length === 1
        ? {
            label: `Thing ${path[0]}`,
            render: host => <div className="thing-view" data-link={host.link}>{`Thing ${path[0]}`}</div>,
            dispose: () => disposed.push(path[0])
          }
        : null
  };
}

describe('the studio', () => {
  it('orders areas by rank and refuses two areas with one id', () => {
    const registry = new AreaRegistry();
    registry.add({ id: 'b', label: 'B', rank: 200 });
    const a = registry.add({ id: 'a', label: 'A', rank: 100 });
    expect(registry.areas.map(x => x.id)).toEqual(['a', 'b']);
    expect(() => registry.add({ id: 'a', label: 'again', rank: 1 })).toThrow(/registered already/);
    a.dispose();
    expect(registry.areas.map(x => x.id)).toEqual(['b']);
  });

  it('goes to a path: the area’s list, or an entity’s view (disposed when left)', () => {
    const registry = new AreaRegistry();
    const disposed: string[] = [];
    const things = new ThingsModel({ auto: false });
    registry.add({ id: 'home', label: 'Home', rank: 0, page: () => <div /> });
    registry.add(thingsArea(things, disposed));
    const model = new StudioModel(registry);
    model.navigate('');
    expect(model.area?.id).toBe('home');
    model.navigate('things/alpha');
    expect(model.area?.id).toBe('things');
    expect(model.detail?.label).toBe('Thing alpha');
    model.navigate('things/alpha'); // the same path: the same view
    expect(disposed).toEqual([]);
    model.navigate('things');
    expect(model.detail).toBeNull();
    expect(disposed).toEqual(['alpha']);
    model.navigate('nowhere/x');
    expect(model.area?.id).toBe('home');
    model.dispose();
    things.dispose();
  });

  it('opens a link to an area registered after the link was followed', () => {
    const registry = new AreaRegistry();
    const things = new ThingsModel({ auto: false });
    const model = new StudioModel(registry);
    model.navigate('things/beta');
    expect(model.detail).toBeNull();
    registry.add(thingsArea(things, []));
    expect(model.detail?.label).toBe('Thing beta');
    model.dispose();
    things.dispose();
  });

  function renderStudio() {
    const registry = new AreaRegistry();
    const things = new ThingsModel({ auto: false });
    registry.add({ id: 'home', label: 'Home', rank: 0, page: () => <div className="home-page">Welcome</div> });
    registry.add(thingsArea(things, []));
    registry.add({ id: 'compare', label: 'Compare', rank: 50, hidden: true, page: () => <div /> });
    const model = new StudioModel(registry);
    const host: IStudioHost = {
      commands: { hasCommand: () => false } as any,
      link: path => `/lab/mlservice/${path}`,
      copy: jest.fn(),
      popOut: jest.fn()
    };
    render(<Studio model={model} host={host} />);
    return { model, things, host };
  }

  it('shows a nav of the areas, the current one marked, hidden ones left out until they have something', async () => {
    const { model, things } = renderStudio();
    await React.act(async () => model.navigate(''));
    const nav = screen.getByRole('navigation', { name: 'ML Studio areas' });
    const links = [...nav.querySelectorAll('a')];
    expect(links.map(a => a.textContent)).toEqual(['Home', 'Things']);
    expect(links[0].getAttribute('aria-current')).toBe('page');
    expect(links[1].getAttribute('href')).toBe('/lab/mlservice/things');
    expect(screen.getByText('Welcome')).toBeTruthy();
    await React.act(async () => model.compare.add([{ run_id: 'r1' }]));
    expect([...nav.querySelectorAll('a')].map(a => a.textContent)).toEqual(['Home', 'Compare (1)', 'Things']);
    model.dispose();
    things.dispose();
  });

  it('moves through the nav with the arrow keys, and opens an area’s list and an entity from it', async () => {
    const { model, things } = renderStudio();
    await React.act(async () => model.navigate(''));
    const links = () => [...document.querySelectorAll<HTMLAnchorElement>('.jp-mlservice-nav-link')];
    React.act(() => links()[0].focus());
    fireEvent.keyDown(links()[0], { key: 'ArrowDown' });
    expect(document.activeElement).toBe(links()[1]);
    fireEvent.keyDown(links()[1], { key: 'Home' });
    expect(document.activeElement).toBe(links()[0]);
    await React.act(async () => {
      fireEvent.click(links()[1]);
      await things.refresh();
    });
    expect(model.path).toBe('things');
    expect(screen.getByRole('heading', { name: 'Things' })).toBeTruthy();
    expect(screen.getByText('What things there are.')).toBeTruthy();
    await React.act(async () => {
      fireEvent.click(screen.getByText('beta'));
    });
    expect(model.path).toBe('things/beta');
    expect(document.querySelector('.thing-view')!.getAttribute('data-link')).toBe('/lab/mlservice/things/beta');
    model.dispose();
    things.dispose();
  });

  it('says so for a path with nothing there', async () => {
    const { model, things } = renderStudio();
    await React.act(async () => model.navigate('things/alpha/extra'));
    expect(screen.getByRole('alert').textContent).toMatch(/nothing at "alpha\/extra" in Things/);
    model.dispose();
    things.dispose();
  });
});

describe('Compare', () => {
  it('keeps the runs picked from any list, once each, with the best label known', () => {
    const selection = new CompareSelection();
    selection.add([{ run_id: 'a' }, { run_id: 'b', label: 'train b', experiment: 'e1' }]);
    selection.add([{ run_id: 'a', label: 'train a', experiment: 'e2' }, { run_id: 'b' }]);
    expect(selection.runs).toEqual([
      { run_id: 'a', label: 'train a', experiment: 'e2' },
      { run_id: 'b', label: 'train b', experiment: 'e1' }
    ]);
    selection.remove('a');
    expect(selection.runs.map(r => r.run_id)).toEqual(['b']);
  });

  it('reads runs of any experiments: params, last metric values and histories; says which it could not read', async () => {
    mocked.getRunMetrics.mockImplementation(async (id: string) => {
      if (id === 'gone') {
        throw new api.MLServiceError('no run "gone"', 404);
      }
      return {
        run_id: id,
        params: { alpha: id === 'r1' ? '0.1' : '0.5', seed: '1' },
        metrics: {
          loss: [
            { step: 1, value: id === 'r1' ? 0.4 : 0.3, timestamp: 2 },
            { step: 0, value: 1, timestamp: 1 }
          ]
        }
      };
    });
    const model = new CompareModel({
      runs: [
        { run_id: 'r1', label: 'first', experiment: 'exp-a' },
        { run_id: 'r2', label: 'second', experiment: 'exp-b' },
        { run_id: 'gone' }
      ],
      auto: false
    });
    await model.refresh();
    expect(model.compared.map(r => [r.label, r.params.alpha, r.metrics.loss])).toEqual([
      ['first', '0.1', 0.4],
      ['second', '0.5', 0.3]
    ]);
    expect([...model.differingParams]).toEqual(['alpha']);
    expect(model.metricNames).toEqual(['loss']);
    expect(model.missing.map(m => m.run.run_id)).toEqual(['gone']);

    const onRemove = jest.fn();
    const { container } = render(<CompareView model={model} host={detailHost()} onRemove={onRemove} onClear={jest.fn()} />);
    expect(container.querySelector('tr.jp-mlservice-differs th')!.textContent).toBe('alpha');
    expect(container.querySelector('[data-metric="loss"] canvas')).not.toBeNull();
    expect(screen.getByText('exp-b')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toMatch(/no run "gone"/);
    fireEvent.click(screen.getByLabelText('Remove second from the comparison'));
    expect(onRemove).toHaveBeenCalledWith('r2');
    model.dispose();
  });
});

describe('Home', () => {
  it('counts jobs running, queued and failed today, the next runs and each target’s use', async () => {
    const now = new Date('2026-12-03T12:00:00');
    mocked.listJobs.mockImplementation(async (query: any) => {
      if (query.status === 'Queued') {
        return { items: [job({ id: 'q' })], next_cursor: null };
      }
      if (query.status === 'Failed') {
        return {
          items: [
            job({ id: 'f1', ended_at: new Date('2026-12-03T09:00:00').toISOString() }),
            job({ id: 'f2', ended_at: new Date('2026-12-01T09:00:00').toISOString() })
          ],
          next_cursor: null
        };
      }
      return { items: [job({ id: 'r1' }), job({ id: 'r2' })], next_cursor: 'more' };
    });
    mocked.listSchedules.mockResolvedValue({
      items: [
        schedule({ name: 'later', next_run_at: '2026-12-05T02:00:00Z' }),
        schedule({ name: 'soon', next_run_at: '2026-12-04T02:00:00Z' }),
        schedule({ name: 'off', enabled: false })
      ],
      next_cursor: null
    });
    mocked.listTargets.mockResolvedValue({ items: [target({ name: 'local', capacity: 4, running: 2 })], next_cursor: null });
    const model = new HomeModel({ auto: false, now: () => now });
    await model.refresh();
    expect(mocked.listJobs.mock.calls[0][0]).toMatchObject({ status: 'Preparing,Running,Finalizing,CancelRequested' });
    expect(model.running).toEqual({ count: 2, more: true });
    expect(model.queued).toEqual({ count: 1, more: false });
    expect(model.failedToday.count).toBe(1);
    expect(model.nextRuns.map(s => s.name)).toEqual(['soon', 'later']);

    mocked.listEndpoints.mockResolvedValue({ items: [], next_cursor: null });
    const endpoints = new EndpointHealthModel({ auto: false });
    await endpoints.refresh();
    const onJobs = jest.fn();
    const onOpenTutorial = jest.fn();
    render(
      <HomeView
        model={model}
        endpoints={endpoints}
        tutorials={[
          { path: '01-a.ipynb', title: 'Jobs quickstart' },
          { path: '02-b.ipynb', title: 'Schedules' }
        ]}
        host={{ open: jest.fn(), link: path => `/lab/mlservice/${path}` }}
        onJobs={onJobs}
        onOpenTutorial={onOpenTutorial}
      />
    );
    expect(screen.getByText('2+')).toBeTruthy();
    fireEvent.click(screen.getByText('failed today'));
    expect(onJobs).toHaveBeenCalledWith('Failed');
    fireEvent.click(screen.getByText('Start with "Jobs quickstart"'));
    expect(onOpenTutorial).toHaveBeenCalledWith('01-a.ipynb');
    expect([...document.querySelectorAll('.jp-mlservice-tutorials li a')].map(a => a.textContent)).toEqual([
      'Jobs quickstart',
      'Schedules'
    ]);
    expect(screen.getByText('2 of 4 running')).toBeTruthy();
    model.dispose();
    endpoints.dispose();
  });

  it('refreshes on job, schedule and target events', async () => {
    mocked.listJobs.mockResolvedValue({ items: [], next_cursor: null });
    mocked.listSchedules.mockResolvedValue({ items: [], next_cursor: null });
    mocked.listTargets.mockResolvedValue({ items: [], next_cursor: null });
    const events = new ServiceEvents(null);
    const model = new HomeModel({ auto: false, events });
    events.emit('schedule', { name: 's', action: 'fired', run_id: 1, status: null });
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(mocked.listSchedules).toHaveBeenCalledTimes(1);
    model.dispose();
  });

  it('finds the tutorials that exist, in order, titled by their first heading', async () => {
    const contents = {
      get: jest.fn(async (path: string) => {
        if (path === '') {
          return { content: [{ path: '03-deploy.ipynb' }, { path: 'other.ipynb' }] };
        }
        return { content: { cells: [{ cell_type: 'code', source: '# not a title' }, { cell_type: 'markdown', source: ['# Deploy ', 'quickstart\n', 'text'] }] } };
      })
    };
    expect(await findTutorials(contents as any, ['03-deploy.ipynb', 'missing.ipynb', 'gone/x.ipynb'])).toEqual([
      { path: '03-deploy.ipynb', title: 'Deploy quickstart' }
    ]);
    // Missing notebooks are not asked for: their folders are listed (each once).
    expect(contents.get.mock.calls.map(c => c[0]).sort()).toEqual(['', '03-deploy.ipynb', 'gone']);
    expect(notebookTitle('dir/untitled.ipynb', { cells: [] })).toBe('untitled');
    expect(isToday('2026-12-03T23:00:00', new Date('2026-12-03T08:00:00'))).toBe(true);
  });
});

describe('settings', () => {
  it('read the user’s values and follow their changes: the poll interval, the default target, studio on start', () => {
    const changed = new Signal<any, void>({});
    const values: Record<string, unknown> = { pollInterval: 45, defaultTarget: 'gpu', openStudioOnStart: true };
    const fake = { get composite() { return values; }, changed } as any;
    const settings = new ServiceSettings();
    const before = PolledModel.fallbackInterval;
    settings.load(fake);
    expect(settings.pollInterval).toBe(45);
    expect(PolledModel.fallbackInterval).toBe(45000);
    expect(settings.defaultTarget).toBe('gpu');
    expect(settings.openStudioOnStart).toBe(true);
    expect(settings.tutorials).toHaveLength(3);
    values.pollInterval = 10;
    changed.emit();
    expect(PolledModel.fallbackInterval).toBe(10000);
    PolledModel.fallbackInterval = before;
  });
});
