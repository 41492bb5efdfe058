import type { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ISignal, Signal } from '@lumino/signaling';

import { PolledModel } from './models/base';

/** The tutorials "Start here" opens, in order (`make lab` copies notebooks/ to the root). */
export const DEFAULT_TUTORIALS: ReadonlyArray<string> = [
  '01-jobs-quickstart.ipynb',
  '02-schedules-and-batch.ipynb',
  '03-deploy-quickstart.ipynb'
];

/**
 * The user's settings of jupyter_mlservice (schema/plugin.json): how often
 * models poll when no event arrives, the target dialogs start with, whether
 * the studio opens with JupyterLab, and the tutorials.
 */
export class ServiceSettings {
  /** Seconds between polls of a list when the server sends no event. */
  get pollInterval(): number {
    return this._pollInterval;
  }

  /** The compute target the submit and schedule dialogs start with. */
  get defaultTarget(): string {
    return this._defaultTarget;
  }

  /** Open the ML Studio when JupyterLab starts. */
  get openStudioOnStart(): boolean {
    return this._openStudioOnStart;
  }

  /** Tutorial notebooks (paths from the server root), in the order to follow them. */
  get tutorials(): ReadonlyArray<string> {
    return this._tutorials;
  }

  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Take the user's values (and follow their changes). */
  load(settings: ISettingRegistry.ISettings): void {
    const read = () => {
      const composite = settings.composite as Record<string, any>;
      this._pollInterval = Math.max(1, Number(composite.pollInterval ?? 30));
      this._defaultTarget = String(composite.defaultTarget ?? 'local');
      this._openStudioOnStart = Boolean(composite.openStudioOnStart ?? false);
      const tutorials = composite.tutorials;
      this._tutorials = Array.isArray(tutorials) ? tutorials.map(String) : DEFAULT_TUTORIALS;
      PolledModel.fallbackInterval = this._pollInterval * 1000;
      this._changed.emit();
    };
    settings.changed.connect(read);
    read();
  }

  private _pollInterval = 30;
  private _defaultTarget = 'local';
  private _openStudioOnStart = false;
  private _tutorials: ReadonlyArray<string> = DEFAULT_TUTORIALS;
  private _changed = new Signal<this, void>(this);
}
