import { DOMWidgetModel, DOMWidgetView, ISerializers } from '@jupyter-widgets/base';
import * as React from 'react';
import { createRoot, Root } from 'react-dom/client';

import { JobDetailModel } from '../areas/jobs/model';
import { trans } from '../translate';
import { IJobSummary, JobRun } from './JobRun';
import { MODULE_NAME, MODULE_VERSION } from './version';

/** How often the view asks the server while the job runs (ms). */
export const POLL_INTERVAL = 1500;

/**
 * The kernel side only carries `job_id` and a `summary`; the view fetches the
 * rest from the REST API, so it keeps updating while the kernel is busy.
 */
export class JobWidgetModel extends DOMWidgetModel {
  defaults(): any {
    return {
      ...super.defaults(),
      _model_name: JobWidgetModel.model_name,
      _model_module: JobWidgetModel.model_module,
      _model_module_version: JobWidgetModel.model_module_version,
      _view_name: JobWidgetModel.view_name,
      _view_module: JobWidgetModel.view_module,
      _view_module_version: JobWidgetModel.view_module_version,
      job_id: '',
      summary: {}
    };
  }

  static serializers: ISerializers = { ...DOMWidgetModel.serializers };
  static model_name = 'JobWidgetModel';
  static model_module = MODULE_NAME;
  static model_module_version = MODULE_VERSION;
  static view_name = 'JobWidgetView';
  static view_module = MODULE_NAME;
  static view_module_version = MODULE_VERSION;
}

/** Renders `JobRun` for the model's job; polling stops when the job has ended or the view goes. */
export class JobWidgetView extends DOMWidgetView {
  render(): void {
    this.el.classList.add('jp-mlservice-run-widget');
    this._root = createRoot(this.el);
    this._show();
    this.listenTo(this.model, 'change:job_id', () => this._show());
    this.listenTo(this.model, 'change:summary', () => this._draw());
  }

  remove(): any {
    this._detail?.dispose();
    this._detail = null;
    // Unmount after the current render pass: React warns on a synchronous unmount inside one.
    const root = this._root;
    this._root = null;
    setTimeout(() => root?.unmount(), 0);
    return super.remove();
  }

  /** The job detail model this view polls with (tests read it). */
  get detail(): JobDetailModel | null {
    return this._detail;
  }

  private _show(): void {
    this._detail?.dispose();
    const id: string = this.model.get('job_id');
    this._detail = id ? new JobDetailModel({ id, interval: POLL_INTERVAL, maxInterval: 10000 }) : null;
    this._draw();
  }

  private _draw(): void {
    if (!this._root) {
      return;
    }
    const detail = this._detail;
    if (!detail) {
      this._root.render(<div className="jp-mlservice-run">{trans.__('No job.')}</div>);
      return;
    }
    const summary: IJobSummary = this.model.get('summary') ?? {};
    this._root.render(
      <JobRun
        key={detail.id}
        model={detail}
        summary={summary}
        onCancel={() => void detail.cancel().catch(error => console.error(`mlservice: cancel ${detail.id}:`, error))}
      />
    );
  }

  private _root: Root | null = null;
  private _detail: JobDetailModel | null = null;
}
