import { MainAreaWidget } from '@jupyterlab/apputils';
import { IEditorServices } from '@jupyterlab/codeeditor';
import * as nbformat from '@jupyterlab/nbformat';
import { NotebookModel, NotebookPanel, StaticNotebook } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ReactWidget, notebookIcon } from '@jupyterlab/ui-components';
import { Panel } from '@lumino/widgets';
import * as React from 'react';

import { CompareView } from './components/CompareView';
import { JobDetail, IJobDetailProps } from './components/JobDetail';
import { mlserviceIcon } from './icons';
import { CompareModel } from './models/compare';
import { JobDetailModel } from './models/jobDetail';

/** A job in the main area; disposes its model (and so its poll) on close. */
export class JobDetailWidget extends MainAreaWidget<ReactWidget> {
  constructor(
    readonly model: JobDetailModel,
    handlers: Omit<IJobDetailProps, 'model'>
  ) {
    super({
      content: ReactWidget.create(<JobDetail model={model} {...handlers} />)
    });
    this.id = `jp-mlservice-job-${model.id}`;
    this.addClass('jp-mlservice-job-widget');
    this.title.icon = mlserviceIcon;
    this.title.label = `Job ${model.id.slice(0, 8)}`;
    this.title.closable = true;
    model.changed.connect(this._onChanged, this);
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }

  private _onChanged(): void {
    const job = this.model.job;
    if (job) {
      this.title.label = `${job.display_name || 'Job ' + job.id.slice(0, 8)} (${job.status})`;
      this.title.caption = `Job ${job.id}`;
    }
  }
}

/** Several runs compared side by side. */
export class CompareWidget extends MainAreaWidget<ReactWidget> {
  constructor(readonly model: CompareModel) {
    super({ content: ReactWidget.create(<CompareView model={model} />) });
    this.addClass('jp-mlservice-compare-widget');
    this.title.icon = mlserviceIcon;
    this.title.label = `Compare ${model.runs.length} runs`;
    this.title.closable = true;
  }

  dispose(): void {
    this.model.dispose();
    super.dispose();
  }
}

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
  widget.title.label = `${options.title} (read-only)`;
  widget.title.icon = notebookIcon;
  widget.title.closable = true;
  widget.disposed.connect(() => model.dispose());
  return widget;
}
