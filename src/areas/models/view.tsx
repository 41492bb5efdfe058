import {
  Button,
  caretDownIcon,
  caretRightIcon,
  closeIcon,
  tagIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ModelVersion, RegisteredModel } from '../api/client';
import { RegistryModel } from '../models/registry';
import { formatNumber, formatTime } from './format';
import { useModel } from './useModel';

export interface IModelsSectionProps {
  model: RegistryModel;
  onRegister: () => void;
  onDeploy: (version: ModelVersion) => void;
  onAddAlias: (version: ModelVersion) => void;
  onRemoveAlias: (name: string, alias: string) => void;
  onOpenJob: (jobId: string) => void;
}

/** Registered models, their versions and aliases, the lineage of a version, and "Deploy". */
export function ModelsSection(props: IModelsSectionProps): JSX.Element {
  const model = useModel(props.model);
  return (
    <div className="jp-mlservice-section-body jp-mlservice-models">
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      {!model.loading && model.items.length === 0 && !model.error && (
        <div className="jp-mlservice-empty">
          No registered models.{' '}
          <Button minimal small onClick={props.onRegister}>
            Register one
          </Button>
        </div>
      )}
      <ul className="jp-mlservice-list">
        {model.items.map(item => (
          <ModelItem key={item.name} item={item} {...props} />
        ))}
      </ul>
    </div>
  );
}

function ModelItem(props: IModelsSectionProps & { item: RegisteredModel }): JSX.Element {
  const { model, item } = props;
  const expanded = model.isExpanded(item.name);
  const Caret = expanded ? caretDownIcon : caretRightIcon;
  return (
    <li className="jp-mlservice-item jp-mlservice-model" data-model={item.name} title={item.description || item.name}>
      <div className="jp-mlservice-item-main">
        <button
          className="jp-mlservice-icon-button jp-mlservice-caret"
          aria-label={`${expanded ? 'Hide' : 'Show'} versions of ${item.name}`}
          aria-expanded={expanded}
          onClick={() => void model.toggle(item.name)}
        >
          <Caret.react tag="span" />
        </button>
        <a
          href="#"
          className="jp-mlservice-item-name jp-mlservice-model-name"
          onClick={e => {
            e.preventDefault();
            void model.toggle(item.name);
          }}
        >
          {item.name}
        </a>
        {item.latest_version && <span className="jp-mlservice-chip">v{item.latest_version}</span>}
      </div>
      <div className="jp-mlservice-item-meta">
        {Object.entries(item.aliases ?? {}).map(([alias, version]) => (
          <span key={alias} className="jp-mlservice-alias" title={`${item.name}@${alias} is version ${version}`}>
            @{alias} → v{version}
          </span>
        ))}
        {item.updated_at ? <span>{formatTime(item.updated_at)}</span> : null}
      </div>
      {expanded && (
        <ul className="jp-mlservice-versions">
          {model.versions(item.name).map(version => (
            <VersionItem key={version.version} version={version} {...props} />
          ))}
        </ul>
      )}
    </li>
  );
}

function VersionItem(props: IModelsSectionProps & { version: ModelVersion }): JSX.Element {
  const { model, version } = props;
  const selected = model.selected;
  const open = selected?.name === version.name && selected.version === version.version;
  return (
    <li className="jp-mlservice-version" data-version={version.version}>
      <div className="jp-mlservice-item-main">
        <a
          href="#"
          className="jp-mlservice-version-name"
          title={open ? 'Hide the lineage' : 'Show where this version came from'}
          onClick={e => {
            e.preventDefault();
            void model.select(open ? null : version.name, open ? undefined : version.version);
          }}
        >
          v{version.version}
        </a>
        {version.aliases.map(alias => (
          <span key={alias} className="jp-mlservice-alias">
            @{alias}
            <button
              className="jp-mlservice-icon-button jp-mlservice-alias-remove"
              aria-label={`Remove alias ${alias}`}
              title={`Remove alias ${alias}`}
              onClick={() => props.onRemoveAlias(version.name, alias)}
            >
              <closeIcon.react tag="span" />
            </button>
          </span>
        ))}
        <span className="jp-mlservice-spacer" />
        <button
          className="jp-mlservice-icon-button"
          aria-label={`Add an alias to ${version.name}:${version.version}`}
          title="Add an alias"
          onClick={() => props.onAddAlias(version)}
        >
          <tagIcon.react tag="span" />
        </button>
        <Button
          small
          className="jp-mlservice-deploy-button"
          aria-label={`Deploy ${version.name}:${version.version}`}
          onClick={() => props.onDeploy(version)}
        >
          Deploy
        </Button>
      </div>
      <div className="jp-mlservice-item-meta">
        <span>{formatTime(version.created_at)}</span>
        {version.description && <span>{version.description}</span>}
      </div>
      {open && <Lineage version={model.selectedVersion} onOpenJob={props.onOpenJob} />}
    </li>
  );
}

/** Where a version came from: its job and run, experiment, code, params and metrics. */
export function Lineage(props: { version: ModelVersion | null; onOpenJob: (jobId: string) => void }): JSX.Element {
  const version = props.version;
  if (!version) {
    return <div className="jp-mlservice-lineage jp-mlservice-empty">Loading lineage…</div>;
  }
  const lineage = (version.lineage ?? {}) as Record<string, any>;
  const params = Object.entries((lineage.params ?? {}) as Record<string, string>);
  const metrics = Object.entries((lineage.metrics ?? {}) as Record<string, number>);
  const jobId: string | null = lineage.job_id ?? null;
  return (
    <div className="jp-mlservice-lineage">
      <dl>
        {jobId && (
          <>
            <dt>Job</dt>
            <dd>
              <a
                href="#"
                className="jp-mlservice-lineage-job"
                title={`Open job ${jobId}`}
                onClick={e => {
                  e.preventDefault();
                  props.onOpenJob(jobId);
                }}
              >
                {jobId.slice(0, 12)}
              </a>
              {lineage.target ? ` on ${lineage.target}` : ''}
            </dd>
          </>
        )}
        {lineage.run_id && (
          <>
            <dt>Run</dt>
            <dd className="jp-mlservice-mono" title={lineage.run_id}>
              {String(lineage.run_id).slice(0, 12)}
              {lineage.missing ? ' (deleted)' : ''}
            </dd>
          </>
        )}
        {lineage.experiment && (
          <>
            <dt>Experiment</dt>
            <dd>{lineage.experiment}</dd>
          </>
        )}
        {lineage.git_commit && (
          <>
            <dt>Commit</dt>
            <dd className="jp-mlservice-mono">{String(lineage.git_commit).slice(0, 10)}</dd>
          </>
        )}
        {lineage.registered_from && (
          <>
            <dt>From</dt>
            <dd>{lineage.registered_from}</dd>
          </>
        )}
        <dt>Source</dt>
        <dd className="jp-mlservice-mono" title={version.source}>
          {version.source}
        </dd>
      </dl>
      {(params.length > 0 || metrics.length > 0) && (
        <table className="jp-mlservice-kv">
          <tbody>
            {params.map(([key, value]) => (
              <tr key={`p-${key}`} className="jp-mlservice-lineage-param">
                <th>{key}</th>
                <td>{value}</td>
              </tr>
            ))}
            {metrics.map(([key, value]) => (
              <tr key={`m-${key}`} className="jp-mlservice-lineage-metric">
                <th>{key}</th>
                <td className="jp-mlservice-num">{formatNumber(value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
