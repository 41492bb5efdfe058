import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { joinPath, splitPath } from './links';
import { AreaRegistry, IArea, IAreaDetail } from './registry';

/** A run picked for comparison, with what the list knew of it. */
export interface ICompareRun {
  run_id: string;
  /** Its run or job name. */
  label?: string;
  experiment?: string;
}

/**
 * Runs picked from any list (Jobs, the runs of any experiment) to compare side
 * by side; kept while the user goes from list to list.
 */
export class CompareSelection {
  get runs(): ReadonlyArray<ICompareRun> {
    return [...this._runs.values()];
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  has(runId: string): boolean {
    return this._runs.has(runId);
  }

  /** Add runs (a run already there keeps its place; a known label wins over none). */
  add(runs: ReadonlyArray<ICompareRun>): void {
    for (const run of runs) {
      const known = this._runs.get(run.run_id);
      this._runs.set(run.run_id, { ...run, ...known, label: known?.label ?? run.label, experiment: known?.experiment ?? run.experiment });
    }
    this._changed.emit();
  }

  remove(runId: string): void {
    if (this._runs.delete(runId)) {
      this._changed.emit();
    }
  }

  clear(): void {
    this._runs.clear();
    this._changed.emit();
  }

  private _runs = new Map<string, ICompareRun>();
  private _changed = new Signal<this, void>(this);
}

/**
 * Where the studio is: a path ("" is Home, "jobs" the Jobs list, "jobs/<id>" a
 * job), the area it is in, and the view of the entity it shows (created for the
 * path, disposed when the studio moves on).
 */
export class StudioModel implements IDisposable {
  constructor(readonly registry: AreaRegistry) {
    registry.changed.connect(this._onAreas, this);
  }

  readonly compare = new CompareSelection();

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The current studio path, segments URI-encoded. */
  get path(): string {
    return joinPath(this._segments);
  }

  get segments(): ReadonlyArray<string> {
    return this._segments;
  }

  /** The area shown: the path's first segment, else the first area (Home). */
  get area(): IArea | undefined {
    const areas = this.registry.areas;
    return (this._segments.length > 0 ? this.registry.get(this._segments[0]) : undefined) ?? areas.find(a => !a.hidden);
  }

  /** The entity view shown, or null when the area's list (or page) is. */
  get detail(): IAreaDetail | null {
    return this._detail;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /** Go to a studio path ("jobs/abc"); an unknown area shows Home. */
  navigate(path: string): void {
    const segments = splitPath(path);
    if (joinPath(segments) === this.path && this._segments.length > 0) {
      return;
    }
    this._segments = segments;
    this._detail?.dispose?.();
    this._detail = null;
    const area = this.area;
    if (area && segments.length > 1 && segments[0] === area.id && area.detail) {
      this._detail = area.detail(segments.slice(1));
    }
    this._changed.emit();
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._detail?.dispose?.();
    this._detail = null;
    Signal.clearData(this);
  }

  private _onAreas(): void {
    // An area registered after a link to it was opened (plugins load in any order): show it now.
    const segments = this._segments;
    if (segments.length > 1 && !this._detail && this.registry.get(segments[0])?.detail) {
      this._segments = [];
      this.navigate(joinPath(segments));
      return;
    }
    this._changed.emit();
  }

  private _segments: string[] = [];
  private _detail: IAreaDetail | null = null;
  private _changed = new Signal<this, void>(this);
  private _isDisposed = false;
}
