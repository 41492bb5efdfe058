import { MainAreaWidget } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import * as nbformat from '@jupyterlab/nbformat';
import { NotebookModel, NotebookPanel, StaticNotebook } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { notebookIcon } from '@jupyterlab/ui-components';
import { Panel } from '@lumino/widgets';

import { trans } from '../translate';

/**
 * An executed notebook shown read-only: the job's output is a record, not a
 * document to edit (open a copy to change it).
 */
export function createNotebookViewer(options: {
  title: string;
  content: nbformat.INotebookContent;
  rendermime: IRenderMimeRegistry;
  editorServices: IEditorServices;
}): MainAreaWidget<Panel> {
  const model = new NotebookModel();
  model.fromJSON(options.content);
  const notebook = new StaticNotebook({
    rendermime: options.rendermime,
    contentFactory: new NotebookPanel.ContentFactory({
      editorFactory: options.editorServices.factoryService.newInlineEditor
    }),
    mimeTypeService: options.editorServices.mimeTypeService,
    notebookConfig: { ...StaticNotebook.defaultNotebookConfig, windowingMode: 'none' }
  });
  notebook.model = model;
  notebook.widgets.forEach(cell => (cell.readOnly = true));
  notebook.addClass('jp-mlservice-executed-notebook');
  const panel = new Panel();
  panel.addClass('jp-mlservice-notebook-viewer');
  panel.addWidget(notebook);
  const widget = new MainAreaWidget({ content: panel });
  widget.title.label = trans.__('%1 (read-only)', options.title);
  widget.title.icon = notebookIcon;
  widget.title.closable = true;
  widget.disposed.connect(() => model.dispose());
  return widget;
}
