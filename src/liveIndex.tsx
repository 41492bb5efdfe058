/**
 * The sidebar as a compact live index: what runs now, the latest jobs, and the
 * endpoints' health. Every item opens its view in the ML Studio.
 */
import { Button, ReactWidget } from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import type { Job } from './api/client';
import { UNFINISHED_JOB_STATUSES } from './api/statuses';
import { EndpointHealthModel } from './areas/endpoints/model';
import { JobsModel } from './areas/jobs/model';
import { jobName } from './areas/jobs/view';
import { formatDuration, formatTime, statusClass } from './components/format';
import { ProgressSummary } from './components/JobProgress';
import { useModel } from './components/useModel';
import { PolledModel } from './models/base';
import { mlserviceIcon } from './icons';
import type { MLServiceSidebar } from './sidebar';
import { IMLServiceStudio } from './tokens';
import { trans } from './translate';

/** A link to a studio path: opens the studio there (a middle click opens a browser tab). */
function IndexLink(props: { studio: IMLServiceStudio; path: string; className?: string; children: React.ReactNode; title?: string }): JSX.Element {
  return (
    <a
      href={props.studio.link(props.path)}
      className={props.className}
      title={props.title}
      onClick={e => {
        if (e.button === 0 && !e.ctrlKey && !e.metaKey) {
          e.preventDefault();
          void props.studio.open(props.path);
        }
      }}
    >
      {props.children}
    </a>
  );
}

function JobItems(props: { model: JobsModel; studio: IMLServiceStudio; empty: string }): JSX.Element {
  const model = useModel(props.model);
  return (
    <div className="jp-mlservice-section-body">
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      {!model.loading && model.items.length === 0 && !model.error && <div className="jp-mlservice-empty">{props.empty}</div>}
      <ul className="jp-mlservice-list">
        {model.items.map((job: Job) => (
          <li key={job.id} className="jp-mlservice-item jp-mlservice-job" data-job-id={job.id}>
            <div className="jp-mlservice-item-main">
              <IndexLink
                studio={props.studio}
                path={`jobs/${encodeURIComponent(job.id)}`}
                className="jp-mlservice-item-name jp-mlservice-job-open"
                title={trans.__('Open job %1', job.id)}
              >
                {jobName(job)}
              </IndexLink>
              <span className={statusClass(job.status)} data-status={job.status}>
                {job.status}
              </span>
            </div>
            <div className="jp-mlservice-item-meta">
              <span>{job.target}</span>
              <span title={trans.__('Experiment')}>{job.experiment}</span>
              <span title={formatTime(job.created_at)}>{formatDuration(job.duration_s)}</span>
            </div>
            {job.kind === 'batch' && <ProgressSummary progress={model.progress(job.id)} />}
          </li>
        ))}
      </ul>
    </div>
  );
}

function EndpointItems(props: { model: EndpointHealthModel; studio: IMLServiceStudio }): JSX.Element {
  const model = useModel(props.model);
  return (
    <div className="jp-mlservice-section-body">
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      {!model.loading && model.items.length === 0 && !model.error && (
        <div className="jp-mlservice-empty">{trans.__('No endpoints.')}</div>
      )}
      <ul className="jp-mlservice-list">
        {model.items.map(({ endpoint, requests, errorRate }) => (
          <li key={endpoint.name} className="jp-mlservice-item jp-mlservice-endpoint" data-endpoint={endpoint.name}>
            <div className="jp-mlservice-item-main">
              <IndexLink studio={props.studio} path={`endpoints/${encodeURIComponent(endpoint.name)}`} className="jp-mlservice-item-name">
                {endpoint.name}
              </IndexLink>
              <span className={statusClass(endpoint.status)} data-status={endpoint.status}>
                {endpoint.status}
              </span>
            </div>
            <div className="jp-mlservice-item-meta">
              <span>{trans._n('%1 request', '%1 requests', requests)}</span>
              <span>{errorRate === null ? '' : trans.__('%1% errors', (errorRate * 100).toFixed(1))}</span>
            </div>
          </li>
        ))}
      </ul>
      {model.more && (
        <IndexLink studio={props.studio} path="endpoints">
          {trans.__('All endpoints…')}
        </IndexLink>
      )}
    </div>
  );
}

/** A section of the index: its model is read from the first time the section shows. */
class LiveSection extends ReactWidget {
  constructor(
    private _model: PolledModel,
    private _content: JSX.Element
  ) {
    super();
  }

  protected render(): JSX.Element {
    return this._content;
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._model.activate();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (this.isVisible) {
      this._model.activate();
    }
  }
}

/** Section ids (tests and layout restoration use them). */
export const RUNNING_SECTION_ID = 'jp-mlservice-running';
export const RECENT_SECTION_ID = 'jp-mlservice-recent';
export const HEALTH_SECTION_ID = 'jp-mlservice-endpoint-health';

/** Fill the sidebar: an "Open ML Studio" button, what runs, recent jobs, endpoint health. */
export function addLiveIndex(sidebar: MLServiceSidebar, studio: IMLServiceStudio): void {
  const events = studio.events;
  const running = new JobsModel({ events, pageSize: 10, filter: { status: UNFINISHED_JOB_STATUSES.join(',') }, auto: false });
  const recent = new JobsModel({ events, pageSize: 10, auto: false });
  const health = new EndpointHealthModel({ events, limit: 10, auto: false });

  const open = ReactWidget.create(
    <Button className="jp-mlservice-open-studio" onClick={() => void studio.open('')}>
      <mlserviceIcon.react tag="span" className="jp-mlservice-open-studio-icon" />
      {trans.__('Open ML Studio')}
    </Button>
  );
  open.addClass('jp-mlservice-sidebar-open');
  sidebar.header.addWidget(open);
  sidebar.addSection({
    id: RUNNING_SECTION_ID,
    label: trans.__('Running now'),
    rank: 100,
    size: 2,
    widget: new LiveSection(running, <JobItems model={running} studio={studio} empty={trans.__('Nothing runs or waits now.')} />)
  });
  sidebar.addSection({
    id: RECENT_SECTION_ID,
    label: trans.__('Recent jobs'),
    rank: 200,
    size: 3,
    widget: new LiveSection(recent, <JobItems model={recent} studio={studio} empty={trans.__('No jobs yet.')} />)
  });
  sidebar.addSection({
    id: HEALTH_SECTION_ID,
    label: trans.__('Endpoints'),
    rank: 300,
    size: 2,
    widget: new LiveSection(health, <EndpointItems model={health} studio={studio} />)
  });
}
