import { Token } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { Widget } from '@lumino/widgets';

import type { ServiceEvents } from './models/events';
import type { ServiceSettings } from './settings';
import type { CompareSelection } from './studio/model';
import type { IArea } from './studio/registry';

export type { IArea, IAreaDetail, IAreaList, IPageHost } from './studio/registry';

/** Command ids of the studio and the shared actions (each area adds its own). */
export namespace CommandIDs {
  export const openStudio = 'mlservice:open-studio';
  export const openSidebar = 'mlservice:open-sidebar';
  export const refresh = 'mlservice:refresh';
  export const openTutorial = 'mlservice:open-tutorial';
  export const compareRuns = 'mlservice:compare-runs';
  /** Not in the palette: the router runs it for /lab/mlservice/... links. */
  export const route = 'mlservice:route';
}

/** The palette category of every command. */
export const PALETTE_CATEGORY = 'ML Service';

/** The sidebar's stable widget id (layout restoration and tests use it). */
export const SIDEBAR_ID = 'jp-mlservice-sidebar';

/** The studio's stable widget id. */
export const STUDIO_ID = 'jp-mlservice-studio';

/**
 * The ML Studio: the main-area home of every area. Plugins add areas to it
 * (src/areas/README.md says how) and open its views by path.
 */
export interface IMLServiceStudio {
  /** Add an area: a nav entry, its list and the views of its entities. */
  addArea(area: IArea): IDisposable;
  readonly areas: ReadonlyArray<IArea>;
  /**
   * Show a studio path ("jobs/<id>", "models/iris/3", "" for Home); with `tab`,
   * the entity's view opens in a tab of its own.
   */
  open(path: string, options?: { tab?: boolean }): Promise<void>;
  /** The deep link (full URL) of a studio path. */
  link(path: string): string;
  /** Runs picked for comparison from any list. */
  readonly compare: CompareSelection;
  /** The server's events (jobs, endpoints, models, schedules, targets), for models to refresh on. */
  readonly events: ServiceEvents;
  readonly settings: ServiceSettings;
  /** Refresh every area's list now. */
  refresh(): Promise<void>;
}

export const IMLServiceStudio = new Token<IMLServiceStudio>(
  'jupyter_mlservice:IMLServiceStudio',
  'The ML Studio; add areas to it and open its views.'
);

/**
 * One section of the ML Service sidebar: the sidebar is a compact live index
 * (what runs, recent jobs, endpoint health) whose items open the studio.
 */
export interface ISidebarSection {
  /** Stable id, also the DOM id of the section. */
  id: string;
  /** The accordion header. */
  label: string;
  /** Lower ranks come first. */
  rank: number;
  /** Share of the sidebar's height relative to the other sections (default 1). */
  size?: number;
  /** The section's content. */
  widget: Widget;
  /** Toolbar items in the section header (name -> widget). */
  toolbar?: ReadonlyArray<{ name: string; widget: Widget }>;
}

/** The sidebar, for plugins that add sections. */
export interface IMLServiceSidebar {
  addSection(section: ISidebarSection): void;
  readonly sections: ReadonlyArray<ISidebarSection>;
}

export const IMLServiceSidebar = new Token<IMLServiceSidebar>(
  'jupyter_mlservice:IMLServiceSidebar',
  'The ML Service sidebar; add sections to it.'
);
