import * as React from 'react';

import type { Environment } from '../../api/client';
import { DetailFrame, DetailSection, Facts, IDetailHost, StudioLink } from '../../components/DetailFrame';
import type { IColumn } from '../../components/EntityList';
import { LogViewer } from '../../components/LogViewer';
import { formatTime, statusClass } from '../../components/format';
import { useModel } from '../../components/useModel';
import { trans } from '../../translate';
import { environmentPath } from './forms';
import { EnvironmentDetailModel, EnvironmentVersionModel } from './model';

function State(props: { state: string }): JSX.Element {
  return (
    <span className={statusClass(props.state)} data-status={props.state}>
      {props.state}
    </span>
  );
}

/** The Environments list's columns (the latest version of each). */
export function environmentColumns(): IColumn<Environment>[] {
  return [
    { id: 'name', label: trans.__('Name'), render: e => e.name, sortValue: e => e.name, text: e => `${e.name} ${e.description}` },
    {
      id: 'latest',
      label: trans.__('Latest'),
      render: e => <span className="jp-mlservice-chip">v{e.version}</span>,
      sortValue: e => e.version,
      className: 'jp-mlservice-num'
    },
    { id: 'state', label: trans.__('State'), render: e => <State state={e.state} />, sortValue: e => e.state, text: e => e.state },
    {
      id: 'requirements',
      label: trans.__('Requirements'),
      render: e => e.requirements.join(', '),
      text: e => e.requirements.join(' ')
    },
    { id: 'python', label: 'Python', render: e => e.python, sortValue: e => e.python },
    { id: 'created', label: trans.__('Created'), render: e => formatTime(e.created_at), sortValue: e => e.created_at }
  ];
}

/** What the Environments views ask the application to do (the area binds these to commands). */
export interface IEnvironmentActions {
  build: (env: Environment) => void;
}

/** An environment: its versions, newest first, each with its state and requirements. */
export function EnvironmentView(props: { model: EnvironmentDetailModel; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { host } = props;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Environment')}
      title={model.name}
      className="jp-mlservice-environment-view"
      data={{ environment: model.name }}
      model={model}
    >
      <DetailSection title={trans.__('Versions')} className="jp-mlservice-versions">
        <ul className="jp-mlservice-list">
          {model.versions.map(env => (
            <li key={env.version} className="jp-mlservice-version" data-version={env.version}>
              <div className="jp-mlservice-item-main">
                <StudioLink host={host} path={environmentPath(env.name, env.version)} className="jp-mlservice-version-name">
                  {env.reference}
                </StudioLink>
                <State state={env.state} />
              </div>
              <div className="jp-mlservice-item-meta">
                <span>{formatTime(env.created_at)}</span>
                <span className="jp-mlservice-mono">{env.requirements.join(', ') || trans.__('(no requirements)')}</span>
              </div>
            </li>
          ))}
        </ul>
      </DetailSection>
    </DetailFrame>
  );
}

/** An environment version: what was asked for, the lock it resolved to, its build state and log. */
export function EnvironmentVersionView(props: {
  model: EnvironmentVersionModel;
  actions: IEnvironmentActions;
  host: IDetailHost;
}): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const env = model.environment;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Environment version')}
      title={`${model.name}@${model.version}`}
      status={env?.state}
      className="jp-mlservice-environment-version-view"
      data={{ environment: model.name, version: model.version }}
      model={model}
      actions={
        env
          ? [
              {
                label: env.state === 'Ready' ? trans.__('Rebuild') : trans.__('Build'),
                title: trans.__('Build the environment now (it is cached: a version with the same lock reuses it)'),
                disabled: env.state === 'Building',
                onClick: () => actions.build(env),
                className: 'jp-mlservice-environment-build'
              }
            ]
          : []
      }
      meta={
        <StudioLink host={host} path={environmentPath(model.name)}>
          {trans.__('all versions of %1', model.name)}
        </StudioLink>
      }
    >
      {env && (
        <>
          {env.error && <div className="jp-mlservice-error jp-mlservice-environment-error">{env.error}</div>}
          <DetailSection title={trans.__('Summary')} className="jp-mlservice-summary">
            <Facts
              rows={[
                [trans.__('Reference'), <code className="jp-mlservice-mono">{env.reference}</code>],
                [trans.__('Description'), env.description],
                [trans.__('From'), env.source],
                ['Python', env.python],
                [trans.__('Cache key'), <span className="jp-mlservice-mono">{env.key.slice(0, 16)}</span>],
                [trans.__('Created'), formatTime(env.created_at)]
              ]}
            />
            {env.warnings.length > 0 && (
              <ul className="jp-mlservice-warnings">
                {env.warnings.map(w => (
                  <li key={w}>{w}</li>
                ))}
              </ul>
            )}
          </DetailSection>
          <DetailSection title={trans.__('Requirements')} className="jp-mlservice-environment-requirements">
            <pre className="jp-mlservice-code">{env.requirements.join('\n') || trans.__('(none)')}</pre>
          </DetailSection>
          <DetailSection title={trans.__('Build log')} className="jp-mlservice-logs">
            {env.state === 'NotBuilt' ? (
              <div className="jp-mlservice-empty">{trans.__('Not built yet: "Build" builds it now, or the first job that uses it will.')}</div>
            ) : (
              <LogViewer text={model.log} complete={model.logComplete} />
            )}
          </DetailSection>
          <DetailSection title={trans.__('Lock (%1 packages)', env.resolved.length)} className="jp-mlservice-environment-lock">
            <pre className="jp-mlservice-code jp-mlservice-environment-lock-text" tabIndex={0} role="region" aria-label={trans.__('Lock')}>{env.resolved.join('\n')}</pre>
          </DetailSection>
        </>
      )}
    </DetailFrame>
  );
}
