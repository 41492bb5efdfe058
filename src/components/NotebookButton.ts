import type { JupyterFrontEnd } from '@jupyterlab/application';
import { ToolbarButton } from '@jupyterlab/apputils';
import type { DocumentRegistry } from '@jupyterlab/docregistry';
import type { INotebookModel, NotebookPanel } from '@jupyterlab/notebook';
import type { LabIcon } from '@jupyterlab/ui-components';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

/** A button of every notebook's toolbar that runs a command on the notebook's path. */
export class NotebookButton implements DocumentRegistry.IWidgetExtension<NotebookPanel, INotebookModel> {
  constructor(
    private _commands: JupyterFrontEnd['commands'],
    private _options: {
      /** The toolbar item's name. */
      name: string;
      command: string;
      /** Put it after these items, the first found (else after the cell type). */
      after: ReadonlyArray<string>;
      className: string;
      icon: LabIcon;
      label: string;
      tooltip: string;
    }
  ) {}

  createNew(panel: NotebookPanel): IDisposable {
    const { name, command, after, className, icon, label, tooltip } = this._options;
    const button = new ToolbarButton({
      className,
      icon,
      label,
      tooltip,
      onClick: () => void this._commands.execute(command, { path: panel.context.path })
    });
    if (!after.some(item => panel.toolbar.insertAfter(item, name, button))) {
      panel.toolbar.insertAfter('cellType', name, button);
    }
    return new DisposableDelegate(() => button.dispose());
  }
}
