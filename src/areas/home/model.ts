import type { Contents } from '@jupyterlab/services';

import * as api from '../../api/client';
import type { Schedule, Target } from '../../api/client';
import { ACTIVE_JOB_STATUSES } from '../../api/statuses';
import { PolledModel } from '../../models/base';
import { ServiceEvents } from '../../models/events';
import { fetchAll } from '../../models/list';

/** A count read from one page: `more` when the page was full (the count is then a floor). */
export interface ICount {
  count: number;
  more: boolean;
}

/** How many jobs of each state Home counts at most (one page each). */
const COUNT_PAGE = 200;

/** Whether a time (ISO) falls on the browser's today. */
export function isToday(value: string | null | undefined, now = new Date()): boolean {
  if (!value) {
    return false;
  }
  const date = new Date(/([zZ]|[+-]\d\d:?\d\d)$/.test(value) ? value : `${value}Z`);
  return date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
}

/**
 * Home's figures at a glance: jobs running, queued and failed today, the next
 * scheduled runs, each target's use. Refreshed on job, schedule and target
 * events; polled slowly otherwise. (Endpoints' health: EndpointHealthModel.)
 */
export class HomeModel extends PolledModel {
  constructor(options: HomeModel.IOptions = {}) {
    super({ name: 'mlservice:home', ...options });
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(events.on('job', refresh), events.on('schedule', refresh), events.on('target', refresh));
    this._now = options.now ?? (() => new Date());
  }

  get running(): ICount {
    return this._running;
  }

  get queued(): ICount {
    return this._queued;
  }

  get failedToday(): ICount {
    return this._failedToday;
  }

  /** Enabled schedules by their next run, soonest first (at most five). */
  get nextRuns(): ReadonlyArray<Schedule> {
    return this._nextRuns;
  }

  get targets(): ReadonlyArray<Target> {
    return this._targets;
  }

  protected async fetch(): Promise<void> {
    const count = async (status: string, keep: (job: api.Job) => boolean = () => true): Promise<ICount> => {
      const page = await api.listJobs({ status, limit: COUNT_PAGE });
      return { count: page.items.filter(keep).length, more: !!page.next_cursor };
    };
    const today = this._now();
    const [running, queued, failed, schedules, targets] = await Promise.all([
      count(ACTIVE_JOB_STATUSES.join(',')),
      count('Queued'),
      // Newest first: once a page reaches yesterday, the rest are older still.
      count('Failed', job => isToday(job.ended_at ?? job.created_at, today)),
      api.listSchedules({ limit: 100 }),
      fetchAll(query => api.listTargets(query), 5)
    ]);
    this._running = running;
    this._queued = queued;
    this._failedToday = { count: failed.count, more: failed.more && failed.count === COUNT_PAGE };
    this._nextRuns = schedules.items
      .filter(s => s.enabled && s.next_run_at)
      .sort((a, b) => String(a.next_run_at).localeCompare(String(b.next_run_at)))
      .slice(0, 5);
    this._targets = targets;
  }

  private _running: ICount = { count: 0, more: false };
  private _queued: ICount = { count: 0, more: false };
  private _failedToday: ICount = { count: 0, more: false };
  private _nextRuns: Schedule[] = [];
  private _targets: Target[] = [];
  private _now: () => Date;
}

export namespace HomeModel {
  export interface IOptions extends PolledModel.IOptions {
    events?: ServiceEvents;
    /** The clock that says what "today" is (tests pass a fake one). */
    now?: () => Date;
  }
}

/** A tutorial notebook that exists, with the title its first heading gives. */
export interface ITutorial {
  path: string;
  title: string;
}

/** The first Markdown heading of a notebook, or its file name. */
export function notebookTitle(path: string, content: any): string {
  for (const cell of content?.cells ?? []) {
    if (cell.cell_type !== 'markdown') {
      continue;
    }
    const source = Array.isArray(cell.source) ? cell.source.join('') : String(cell.source ?? '');
    const heading = /^#+\s+(.+)$/m.exec(source);
    if (heading) {
      return heading[1].trim();
    }
  }
  return (path.split('/').pop() ?? path).replace(/\.ipynb$/i, '');
}

/**
 * The tutorials "Start here" and the Launcher offer, in order: the notebooks of
 * the setting that exist on the server (missing ones are left out: their folders
 * are listed, so nothing is asked for that is not there), titled by their first
 * heading.
 */
export async function findTutorials(contents: Contents.IManager, paths: ReadonlyArray<string>): Promise<ITutorial[]> {
  const folderOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '');
  const listed = new Map<string, Promise<Set<string>>>();
  const list = (folder: string) => {
    if (!listed.has(folder)) {
      listed.set(
        folder,
        contents
          .get(folder, { content: true, type: 'directory' })
          .then(dir => new Set<string>((dir.content ?? []).map((item: { path: string }) => item.path)))
          .catch(() => new Set<string>())
      );
    }
    return listed.get(folder)!;
  };
  const found = await Promise.all(
    paths.map(async path => {
      if (!(await list(folderOf(path))).has(path)) {
        return null;
      }
      try {
        const file = await contents.get(path, { content: true, type: 'notebook' });
        return { path, title: notebookTitle(path, file.content) };
      } catch {
        return null;
      }
    })
  );
  return found.filter((t): t is ITutorial => t !== null);
}
