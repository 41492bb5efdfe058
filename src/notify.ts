import { Notification } from '@jupyterlab/apputils';
import { Contents } from '@jupyterlab/services';
import { INotebookTracker } from '@jupyterlab/notebook';

import { PolledModel } from './models/base';
import { trans } from './translate';

/** Show an error as a JupyterLab notification, with what was being done. */
export function notifyError(error: unknown, context?: string): void {
  const message = error instanceof Error ? error.message : String(error);
  Notification.error(context ? trans.__('%1: %2', context, message) : message, { autoClose: 8000 });
}

/** Run an action; on failure notify the server's message and resolve to undefined. */
export async function attempt<T>(what: string, action: () => Promise<T>): Promise<T | undefined> {
  try {
    return await action();
  } catch (error) {
    notifyError(error, what);
    return undefined;
  }
}

/** Notify once per distinct error a model meets while polling. */
export function notifyModelErrors(model: PolledModel, what: string): void {
  let last: string | null = null;
  model.changed.connect(() => {
    if (model.error && model.error !== last) {
      notifyError(model.error, what);
    }
    last = model.error;
  });
}

/**
 * The notebook as jobs will read it: an open, modified notebook is saved first (jobs run the
 * saved file); its content comes from the open model, else from the server.
 */
export async function readSavedNotebook(
  contents: Contents.IManager,
  notebooks: INotebookTracker | null,
  path: string
): Promise<any> {
  const open = notebooks?.find(p => p.context.path === path);
  if (open) {
    if (open.context.model.dirty) {
      await open.context.save();
    }
    return open.context.model.toJSON();
  }
  const file = await contents.get(path, { content: true, type: 'notebook' });
  return file.content ?? null;
}
