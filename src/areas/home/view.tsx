import { Button } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatTime, statusClass } from '../../components/format';
import { StudioLink } from '../../components/DetailFrame';
import { useActiveModel } from '../../components/useModel';
import type { IPageHost } from '../../studio/registry';
import { trans } from '../../translate';
import type { EndpointHealthModel } from '../endpoints/model';
import { HomeModel, ICount, ITutorial } from './model';

function countText(count: ICount): string {
  return count.more ? trans.__('%1+', count.count) : String(count.count);
}

/** One figure: a number, what it counts, and a link to the list it comes from. */
function Figure(props: { value: string; label: string; onClick: () => void; status?: string }): JSX.Element {
  return (
    <button className="jp-mlservice-figure-card" data-figure={props.status} onClick={props.onClick}>
      <span className="jp-mlservice-figure-value">{props.value}</span>
      <span className="jp-mlservice-figure-label">{props.label}</span>
    </button>
  );
}

export interface IHomeProps {
  model: HomeModel;
  endpoints: EndpointHealthModel;
  tutorials: ReadonlyArray<ITutorial>;
  host: IPageHost;
  /** Show the Jobs list with this status filter (null: all). */
  onJobs: (status: string | null) => void;
  onOpenTutorial: (path: string) => void;
}

/** Home: counts and health at a glance, and "Start here" with the tutorials in order. */
export function HomeView(props: IHomeProps): JSX.Element {
  const model = useActiveModel(props.model);
  const endpoints = useActiveModel(props.endpoints);
  const { host, tutorials } = props;
  const link = { open: host.open, linkTo: host.link };
  return (
    <div className="jp-mlservice-area jp-mlservice-home" data-area="home">
      <header className="jp-mlservice-area-header">
        <h2>{trans.__('ML Studio')}</h2>
        <p className="jp-mlservice-area-caption">
          {trans.__('Train as jobs, track runs, register models, serve them on endpoints and schedule notebooks, all from JupyterLab.')}
        </p>
      </header>
      {model.error && (
        <div className="jp-mlservice-error" role="alert">
          {model.error}
        </div>
      )}

      <section className="jp-mlservice-home-section jp-mlservice-start-here" aria-labelledby="jp-mlservice-start-here">
        <h3 id="jp-mlservice-start-here">{trans.__('Start here')}</h3>
        {tutorials.length === 0 ? (
          <p className="jp-mlservice-empty">
            {trans.__('No tutorial notebooks in this workspace (`make lab` copies them from notebooks/).')}
          </p>
        ) : (
          <>
            <Button className="jp-mlservice-start-button" onClick={() => props.onOpenTutorial(tutorials[0].path)}>
              {trans.__('Start with "%1"', tutorials[0].title)}
            </Button>
            <ol className="jp-mlservice-tutorials">
              {tutorials.map(tutorial => (
                <li key={tutorial.path} data-tutorial={tutorial.path}>
                  <a
                    href="#"
                    onClick={e => {
                      e.preventDefault();
                      props.onOpenTutorial(tutorial.path);
                    }}
                  >
                    {tutorial.title}
                  </a>
                  <span className="jp-mlservice-item-meta">{tutorial.path}</span>
                </li>
              ))}
            </ol>
          </>
        )}
      </section>

      <section className="jp-mlservice-home-section" aria-labelledby="jp-mlservice-home-jobs">
        <h3 id="jp-mlservice-home-jobs">{trans.__('Jobs')}</h3>
        <div className="jp-mlservice-figures-row">
          <Figure value={countText(model.running)} label={trans.__('running')} status="running" onClick={() => props.onJobs('Running')} />
          <Figure value={countText(model.queued)} label={trans.__('queued')} status="queued" onClick={() => props.onJobs('Queued')} />
          <Figure
            value={countText(model.failedToday)}
            label={trans.__('failed today')}
            status="failed"
            onClick={() => props.onJobs('Failed')}
          />
        </div>
      </section>

      <div className="jp-mlservice-home-columns">
        <section className="jp-mlservice-home-section" aria-labelledby="jp-mlservice-home-endpoints">
          <h3 id="jp-mlservice-home-endpoints">{trans.__('Endpoints')}</h3>
          {endpoints.items.length === 0 ? (
            <p className="jp-mlservice-empty">{trans.__('No endpoints yet.')}</p>
          ) : (
            <table className="jp-mlservice-table jp-mlservice-home-endpoints">
              <thead>
                <tr>
                  <th scope="col">{trans.__('Endpoint')}</th>
                  <th scope="col">{trans.__('Status')}</th>
                  <th scope="col">{trans.__('Requests')}</th>
                  <th scope="col">{trans.__('Error rate')}</th>
                </tr>
              </thead>
              <tbody>
                {endpoints.items.map(({ endpoint, requests, errorRate }) => (
                  <tr key={endpoint.name} data-endpoint={endpoint.name}>
                    <td>
                      <StudioLink host={link} path={`endpoints/${encodeURIComponent(endpoint.name)}`}>
                        {endpoint.name}
                      </StudioLink>
                    </td>
                    <td>
                      <span className={statusClass(endpoint.status)} data-status={endpoint.status}>
                        {endpoint.status}
                      </span>
                    </td>
                    <td className="jp-mlservice-num">{requests}</td>
                    <td className="jp-mlservice-num">{errorRate === null ? '–' : `${(errorRate * 100).toFixed(1)}%`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section className="jp-mlservice-home-section" aria-labelledby="jp-mlservice-home-schedules">
          <h3 id="jp-mlservice-home-schedules">{trans.__('Next scheduled runs')}</h3>
          {model.nextRuns.length === 0 ? (
            <p className="jp-mlservice-empty">{trans.__('Nothing scheduled.')}</p>
          ) : (
            <ul className="jp-mlservice-list">
              {model.nextRuns.map(schedule => (
                <li key={schedule.name} className="jp-mlservice-next-run">
                  <StudioLink host={link} path={`schedules/${encodeURIComponent(schedule.name)}`}>
                    {schedule.name}
                  </StudioLink>
                  <span className="jp-mlservice-item-meta">{formatTime(schedule.next_run_at)}</span>
                </li>
              ))}
            </ul>
          )}
        </section>

        <section className="jp-mlservice-home-section" aria-labelledby="jp-mlservice-home-compute">
          <h3 id="jp-mlservice-home-compute">{trans.__('Compute')}</h3>
          <ul className="jp-mlservice-list">
            {model.targets.map(target => (
              <li key={target.name} className="jp-mlservice-home-target" data-target={target.name}>
                <StudioLink host={link} path={`compute/${encodeURIComponent(target.name)}`}>
                  {target.name}
                </StudioLink>
                <meter
                  min={0}
                  max={target.capacity ?? Math.max(target.running, 1)}
                  value={target.running}
                  aria-label={trans.__('%1: jobs running of its capacity', target.name)}
                />
                <span className="jp-mlservice-item-meta">
                  {target.capacity === null
                    ? trans.__('%1 running', target.running)
                    : trans.__('%1 of %2 running', target.running, target.capacity)}
                  {target.queued > 0 ? trans.__(', %1 queued', target.queued) : ''}
                </span>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </div>
  );
}
