/**
 * The studio's areas, one registry for all of them.
 *
 * How to add an area (Data, Environments, Sweeps, Monitoring, Pipelines...): a folder
 * src/areas/<area>/ and one line in src/areas/index.ts; the recipe, with the nav ranks, is
 * src/areas/README.md. A plugin outside this package calls `studio.addArea(...)` the same way.
 * Deep links come with it: /lab/mlservice/<id>/<path...> opens `detail(path)` in the studio
 * (and restores on reload); `studio.open('<id>/<key>')` and `studio.link(...)` build them.
 */
import type { LabIcon } from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { IDetailHost } from '../components/DetailFrame';
import type { IColumn, IFilter, IListAction } from '../components/EntityList';
import type { ListModel } from '../models/list';

/** An area's list: the model it shows and how (columns, filters, multi-select actions). */
export interface IAreaList<T> {
  model: ListModel<T, any>;
  columns: ReadonlyArray<IColumn<T>>;
  filters?: ReadonlyArray<IFilter>;
  actions?: ReadonlyArray<IListAction<T>>;
  /** The column that names an item (linked to its view); default: the first. */
  primary?: string;
  /** Where an item's view is, inside the area: `[job.id]`, `[model.name]`. */
  path: (item: T) => string[];
  itemLabel?: (item: T) => string;
  rowData?: (item: T) => Record<string, string>;
  /** Said when the list is empty. */
  empty?: string;
  /** Commands offered as buttons above the list (create, register...). */
  commands?: ReadonlyArray<{ id: string; args?: ReadonlyPartialJSONObject }>;
}

/** One entity's view, created for a path and disposed when closed. */
export interface IAreaDetail {
  /** Its tab's title. */
  label: string;
  render: (host: IDetailHost) => JSX.Element;
  /** Stop what the view polls with. */
  dispose?: () => void;
}

/** What the studio gives a page that is not a list (Home). */
export interface IPageHost {
  open: (path: string) => void;
  link: (path: string) => string;
}

/** One area of the studio: a nav entry, a list (or a page), and views of its entities. */
export interface IArea<T = any> {
  /** Nav id and first URL segment: `jobs` in /lab/mlservice/jobs/<id>. */
  id: string;
  label: string;
  /** Order in the nav (see the table above). */
  rank: number;
  icon?: LabIcon;
  /** One line saying what the area holds, under its title. */
  caption?: string;
  list?: IAreaList<T>;
  /** A view for the path after the area id (`['<id>']`), or null when there is none. */
  detail?: (path: string[]) => IAreaDetail | null;
  /** A whole page instead of a list (Home, Compare). */
  page?: (host: IPageHost, path: string[]) => JSX.Element;
  /** Not listed in the nav (reached by links and actions: Compare). */
  hidden?: boolean;
}

/** The areas, ordered by rank; the studio's nav and router read it. */
export class AreaRegistry {
  get areas(): ReadonlyArray<IArea> {
    return this._areas;
  }

  /** Emits when an area is added or removed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get(id: string): IArea | undefined {
    return this._areas.find(a => a.id === id);
  }

  add(area: IArea): IDisposable {
    if (this.get(area.id)) {
      throw new Error(`An area "${area.id}" is registered already.`);
    }
    this._areas = [...this._areas, area].sort((a, b) => a.rank - b.rank);
    this._changed.emit();
    return new DisposableDelegate(() => {
      this._areas = this._areas.filter(a => a !== area);
      this._changed.emit();
    });
  }

  private _areas: IArea[] = [];
  private _changed = new Signal<this, void>(this);
}
