import { Token } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

/** Command ids; every sidebar action is also a command in the palette. */
export namespace CommandIDs {
  export const openSidebar = 'mlservice:open-sidebar';
  export const refresh = 'mlservice:refresh';
  export const createTarget = 'mlservice:create-target';
  export const deleteTarget = 'mlservice:delete-target';
  export const submitNotebook = 'mlservice:submit-notebook';
  export const openJob = 'mlservice:open-job';
  export const cancelJob = 'mlservice:cancel-job';
  export const rerunJob = 'mlservice:rerun-job';
  export const openExecutedNotebook = 'mlservice:open-executed-notebook';
  export const compareRuns = 'mlservice:compare-runs';
}

/** The palette category of every command. */
export const PALETTE_CATEGORY = 'ML Service';

/** The sidebar's stable widget id (layout restoration and tests use it). */
export const SIDEBAR_ID = 'jp-mlservice-sidebar';

/**
 * One section of the ML Service sidebar. Compute, Jobs and Experiments are
 * sections; later capabilities (Models, Endpoints, Schedules) add their own.
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
  /** Toolbar items in the section header (name -> widget), e.g. add/refresh buttons. */
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

