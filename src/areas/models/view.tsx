import { Button, closeIcon, tagIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { Evaluation, ModelVersion, RegisteredModel, Rollout } from '../../api/client';
import { DetailFrame, DetailSection, Facts, IDetailHost, StudioLink } from '../../components/DetailFrame';
import type { IColumn } from '../../components/EntityList';
import { IconButton } from '../../components/IconButton';
import { formatNumber, formatTime, statusClass } from '../../components/format';
import { useModel } from '../../components/useModel';
import { trans } from '../../translate';
import { formatDifference, verdict } from '../automation/forms';
import { rolloutPath } from '../automation/view';
import { dataPath } from '../data/forms';
import { versionRef } from './forms';
import { ModelDetailModel, VersionDetailModel } from './model';

/** "@champion → v3 · @staging → v4" */
export function aliasSummary(aliases: Record<string, string | number> | null | undefined): string {
  return Object.entries(aliases ?? {})
    .map(([alias, version]) => `@${alias} → v${version}`)
    .join(' · ');
}

/** The Models list's columns. */
export function modelColumns(): IColumn<RegisteredModel>[] {
  return [
    { id: 'name', label: trans.__('Name'), render: m => m.name, sortValue: m => m.name, text: m => `${m.name} ${m.description ?? ''}` },
    {
      id: 'latest',
      label: trans.__('Latest'),
      render: m => (m.latest_version ? <span className="jp-mlservice-chip">v{m.latest_version}</span> : ''),
      sortValue: m => Number(m.latest_version ?? 0),
      className: 'jp-mlservice-num'
    },
    {
      id: 'aliases',
      label: trans.__('Aliases'),
      render: m => {
        const summary = aliasSummary(m.aliases);
        return summary ? <span className="jp-mlservice-alias">{summary}</span> : '';
      },
      text: m => Object.keys(m.aliases ?? {}).join(' ')
    },
    { id: 'updated', label: trans.__('Updated'), render: m => formatTime(m.updated_at), sortValue: m => m.updated_at ?? 0 },
    { id: 'description', label: trans.__('Description'), render: m => m.description ?? '', text: m => m.description ?? '' }
  ];
}

/** What a model's views ask the application to do (the area binds these to commands). */
export interface IModelActions {
  deploy: (version: ModelVersion) => void;
  addAlias: (version: ModelVersion) => void;
  removeAlias: (name: string, alias: string) => void;
  register: (name: string) => void;
  deleteModel: (name: string) => void;
  deleteVersion: (version: ModelVersion) => void;
}

function versionPath(version: Pick<ModelVersion, 'name' | 'version'>): string {
  return `models/${encodeURIComponent(version.name)}/${encodeURIComponent(version.version)}`;
}

/** The buttons of a version: an alias, Deploy. */
function VersionButtons(props: { version: ModelVersion; actions: IModelActions }): JSX.Element {
  const { version, actions } = props;
  const ref = versionRef(version);
  return (
    <>
      <IconButton
        icon={tagIcon}
        label={trans.__('Add an alias to %1', ref)}
        title={trans.__('Add an alias')}
        onClick={() => actions.addAlias(version)}
      />
      <Button small className="jp-mlservice-deploy-button" aria-label={trans.__('Deploy %1', ref)} onClick={() => actions.deploy(version)}>
        {trans.__('Deploy')}
      </Button>
    </>
  );
}

function Aliases(props: { version: ModelVersion; actions: IModelActions }): JSX.Element {
  const { version, actions } = props;
  return (
    <>
      {version.aliases.map(alias => (
        <span key={alias} className="jp-mlservice-alias">
          @{alias}
          <IconButton
            icon={closeIcon}
            label={trans.__('Remove alias %1', alias)}
            className="jp-mlservice-alias-remove"
            onClick={() => actions.removeAlias(version.name, alias)}
          />
        </span>
      ))}
    </>
  );
}

/** A registered model: its versions with aliases; each opens its lineage, deploys, takes an alias. */
export function ModelView(props: { model: ModelDetailModel; actions: IModelActions; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const item = model.model;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Model')}
      title={model.name}
      className="jp-mlservice-model-view"
      data={{ model: model.name }}
      model={model}
      meta={
        item && (
          <>
            {item.aliases && Object.keys(item.aliases).length > 0 && (
              <span className="jp-mlservice-alias-summary">{aliasSummary(item.aliases)}</span>
            )}
            {item.description && <span>{item.description}</span>}
          </>
        )
      }
      actions={[
        { label: trans.__('Register a version'), onClick: () => actions.register(model.name), className: 'jp-mlservice-model-register' },
        { label: trans.__('Delete'), onClick: () => actions.deleteModel(model.name), className: 'jp-mlservice-model-delete' }
      ]}
    >
      <DetailSection title={trans.__('Versions')} className="jp-mlservice-versions">
        {item && model.versions.length === 0 && <div className="jp-mlservice-empty">{trans.__('No versions.')}</div>}
        <ul className="jp-mlservice-list">
          {model.versions.map(version => (
            <li key={version.version} className="jp-mlservice-version" data-version={version.version}>
              <div className="jp-mlservice-item-main">
                <StudioLink
                  host={host}
                  path={versionPath(version)}
                  className="jp-mlservice-version-name"
                  title={trans.__('Where this version came from')}
                >
                  v{version.version}
                </StudioLink>
                <Aliases version={version} actions={actions} />
                <span className="jp-mlservice-spacer" />
                <VersionButtons version={version} actions={actions} />
              </div>
              <div className="jp-mlservice-item-meta">
                <span>{formatTime(version.created_at)}</span>
                {version.description && <span>{version.description}</span>}
              </div>
            </li>
          ))}
        </ul>
      </DetailSection>
    </DetailFrame>
  );
}

/** A model version: its aliases, Deploy, and where it came from. */
export function VersionView(props: { model: VersionDetailModel; actions: IModelActions; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const version = model.modelVersion;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Model version')}
      title={`${model.name}:${model.version}`}
      status={version?.status}
      className="jp-mlservice-version-view"
      data={{ model: model.name, version: model.version }}
      model={model}
      actions={
        version
          ? [{ label: trans.__('Delete version'), onClick: () => actions.deleteVersion(version), className: 'jp-mlservice-version-delete' }]
          : []
      }
      meta={
        <>
          <StudioLink host={host} path={`models/${encodeURIComponent(model.name)}`}>
            {trans.__('all versions of %1', model.name)}
          </StudioLink>
          {version && <Aliases version={version} actions={actions} />}
        </>
      }
    >
      {version && (
        <div className="jp-mlservice-version" data-version={version.version}>
          <div className="jp-mlservice-item-main">
            <span className="jp-mlservice-spacer" />
            <VersionButtons version={version} actions={actions} />
          </div>
          <DetailSection title={trans.__('Lineage')}>
            <Lineage version={version} host={host} />
          </DetailSection>
          <DetailSection title={trans.__('Evaluations')} className="jp-mlservice-version-evaluations">
            <Evaluations evaluations={model.evaluations} host={host} />
          </DetailSection>
          <DetailSection title={trans.__('Promotions')} className="jp-mlservice-version-promotions">
            <Promotions rollouts={model.promotions} host={host} />
          </DetailSection>
        </div>
      )}
    </DetailFrame>
  );
}

/** Where a version came from: its job and run, experiment, code, params and metrics. */
export function Lineage(props: { version: ModelVersion; host: Pick<IDetailHost, 'open' | 'linkTo'> }): JSX.Element {
  const { version, host } = props;
  const lineage = (version.lineage ?? {}) as Record<string, any>;
  const params = Object.entries((lineage.params ?? {}) as Record<string, string>);
  const metrics = Object.entries((lineage.metrics ?? {}) as Record<string, number>);
  const jobId: string | null = lineage.job_id ?? null;
  const data = (lineage.data ?? []) as { name: string; version: number; ref: string; input?: string | null }[];
  return (
    <div className="jp-mlservice-lineage">
      <Facts
        rows={[
          [
            trans.__('Job'),
            jobId && (
              <>
                <StudioLink
                  host={host}
                  path={`jobs/${encodeURIComponent(jobId)}`}
                  className="jp-mlservice-lineage-job"
                  title={trans.__('Open job %1', jobId)}
                >
                  {jobId.slice(0, 12)}
                </StudioLink>
                {lineage.target ? trans.__(' on %1', lineage.target) : ''}
              </>
            )
          ],
          [trans.__('Run'), lineage.run_id && `${String(lineage.run_id).slice(0, 12)}${lineage.missing ? trans.__(' (deleted)') : ''}`],
          [trans.__('Experiment'), lineage.experiment],
          [
            trans.__('Trained on'),
            data.length > 0 ? (
              <ul className="jp-mlservice-lineage-data">
                {data.map(d => (
                  <li key={d.ref} data-data={d.name} data-data-version={d.version}>
                    <StudioLink host={host} path={dataPath(d.name, d.version)} title={d.ref}>
                      {`${d.name}@${d.version}`}
                    </StudioLink>
                    {d.input ? trans.__(' (input %1)', d.input) : ''}
                  </li>
                ))}
              </ul>
            ) : null
          ],
          [trans.__('Commit'), lineage.git_commit && String(lineage.git_commit).slice(0, 10)],
          [trans.__('From'), lineage.registered_from],
          [trans.__('Source'), <span className="jp-mlservice-mono">{version.source}</span>]
        ]}
      />
      {(params.length > 0 || metrics.length > 0) && (
        <table className="jp-mlservice-kv">
          <tbody>
            {params.map(([key, value]) => (
              <tr key={`p-${key}`} className="jp-mlservice-lineage-param">
                <th scope="row">{key}</th>
                <td>{value}</td>
              </tr>
            ))}
            {metrics.map(([key, value]) => (
              <tr key={`m-${key}`} className="jp-mlservice-lineage-metric">
                <th scope="row">{key}</th>
                <td className="jp-mlservice-num">{formatNumber(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** This version judged against a baseline: per metric, the difference with its interval and the gate's verdict. */
export function Evaluations(props: { evaluations: ReadonlyArray<Evaluation>; host: Pick<IDetailHost, 'open' | 'linkTo'> }): JSX.Element {
  const { evaluations, host } = props;
  if (evaluations.length === 0) {
    return <div className="jp-mlservice-empty">{trans.__('Not evaluated against a baseline yet (ml.models.evaluate).')}</div>;
  }
  return (
    <ul className="jp-mlservice-list jp-mlservice-evaluations">
      {evaluations.map(e => {
        const word = verdict(e);
        return (
          <li key={e.id} className="jp-mlservice-evaluation" data-evaluation={e.id} data-status={e.status} data-passed={String(e.passed)}>
            <div className="jp-mlservice-item-main">
              <span>{trans.__('%1 vs %2', e.candidate_version, e.baseline_version)}</span>
              <span className={`${statusClass(e.passed === false ? 'failed' : e.passed ? 'completed' : e.status)} jp-mlservice-evaluation-verdict`}>
                {word}
              </span>
              <span className="jp-mlservice-spacer" />
              <StudioLink host={host} path={`jobs/${encodeURIComponent(e.job_id)}`} className="jp-mlservice-evaluation-job" title={trans.__('Open job %1', e.job_id)}>
                {trans.__('job %1', e.job_id.slice(0, 12))}
              </StudioLink>
            </div>
            <div className="jp-mlservice-item-meta">
              <span>{e.data_version ?? e.data}</span>
              {e.rows !== null && <span>{trans._n('%1 row', '%1 rows', e.rows)}</span>}
              <span>{trans.__('%1% interval, %2 resamples', Math.round(e.confidence * 100), e.bootstrap)}</span>
              <span>{formatTime(e.created_at)}</span>
            </div>
            {e.error && <div className="jp-mlservice-error">{e.error}</div>}
            {e.comparisons.length > 0 && (
              <table className="jp-mlservice-table jp-mlservice-comparisons" aria-label={trans.__('Metrics of %1', e.id)}>
                <thead>
                  <tr>
                    <th scope="col">{trans.__('Metric')}</th>
                    <th scope="col">{trans.__('Candidate')}</th>
                    <th scope="col">{trans.__('Baseline')}</th>
                    <th scope="col">{trans.__('Difference [interval]')}</th>
                    <th scope="col">{trans.__('Margin')}</th>
                    <th scope="col">{trans.__('Gate')}</th>
                  </tr>
                </thead>
                <tbody>
                  {e.comparisons.map(c => (
                    <tr key={c.metric} data-metric={c.metric} data-passed={String(c.passed)}>
                      <th scope="row">{c.metric}</th>
                      <td className="jp-mlservice-num">{formatNumber(c.candidate)}</td>
                      <td className="jp-mlservice-num">{formatNumber(c.baseline)}</td>
                      <td className="jp-mlservice-num">{formatDifference(c.difference, c.interval)}</td>
                      <td className="jp-mlservice-num">{c.margin === null ? '' : formatNumber(c.margin)}</td>
                      <td>{c.passed === null ? trans.__('not gated') : c.passed ? trans.__('passed') : trans.__('failed')}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </li>
        );
      })}
    </ul>
  );
}

/** Rollouts of this version to endpoints, with their state and traffic. */
export function Promotions(props: { rollouts: ReadonlyArray<Rollout>; host: Pick<IDetailHost, 'open' | 'linkTo'> }): JSX.Element {
  const { rollouts, host } = props;
  if (rollouts.length === 0) {
    return <div className="jp-mlservice-empty">{trans.__('Not rolled out to an endpoint.')}</div>;
  }
  return (
    <ul className="jp-mlservice-list jp-mlservice-promotions">
      {rollouts.map(r => (
        <li key={r.id} className="jp-mlservice-promotion" data-rollout={r.id} data-state={r.state}>
          <div className="jp-mlservice-item-main">
            <StudioLink host={host} path={rolloutPath(r.id)} className="jp-mlservice-promotion-link" title={trans.__('Open rollout %1', r.id)}>
              {trans.__('%1: %2 → %3', r.endpoint, r.baseline, r.candidate)}
            </StudioLink>
            <span className={statusClass(r.state)} data-status={r.state}>
              {r.state}
            </span>
            <span>{trans.__('%1% of traffic', r.traffic_percent)}</span>
            <span className="jp-mlservice-spacer" />
            <span>{formatTime(r.created_at)}</span>
          </div>
          {r.reason && <div className="jp-mlservice-item-meta">{r.reason}</div>}
        </li>
      ))}
    </ul>
  );
}
