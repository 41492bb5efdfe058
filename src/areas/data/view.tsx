import { closeIcon, tagIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { DataAsset, DataLineage, DataVersion, Job, LineageGraph, LineageNode } from '../../api/client';
import { DetailFrame, DetailSection, Facts, IDetailHost, StudioLink } from '../../components/DetailFrame';
import type { IColumn } from '../../components/EntityList';
import { IconButton } from '../../components/IconButton';
import { formatBytes, formatNumber, formatTime, statusClass } from '../../components/format';
import { useModel } from '../../components/useModel';
import { trans } from '../../translate';
import { aliasSummary } from '../models/view';
import { dataPath, dataRef } from './forms';
import { DataAssetDetailModel, DataVersionDetailModel } from './model';
import { IColumnProfile, IProfileView, cellText, dataVersionOf, jobData, readProfile } from './profile';

/** The Data list's columns. */
export function dataColumns(): IColumn<DataAsset>[] {
  return [
    { id: 'name', label: trans.__('Name'), render: a => a.name, sortValue: a => a.name, text: a => `${a.name} ${a.description}` },
    { id: 'kind', label: trans.__('Kind'), render: a => <span className="jp-mlservice-chip">{a.kind}</span>, sortValue: a => a.kind, text: a => a.kind },
    {
      id: 'latest',
      label: trans.__('Latest'),
      render: a => (a.latest_version ? <span className="jp-mlservice-chip">v{a.latest_version}</span> : ''),
      sortValue: a => a.latest_version ?? 0,
      className: 'jp-mlservice-num'
    },
    { id: 'versions', label: trans.__('Versions'), render: a => a.version_count, sortValue: a => a.version_count, className: 'jp-mlservice-num' },
    {
      id: 'aliases',
      label: trans.__('Aliases'),
      render: a => {
        const summary = aliasSummary(a.aliases);
        return summary ? <span className="jp-mlservice-alias">{summary}</span> : '';
      },
      text: a => Object.keys(a.aliases ?? {}).join(' ')
    },
    { id: 'updated', label: trans.__('Updated'), render: a => formatTime(a.updated_at), sortValue: a => a.updated_at },
    { id: 'description', label: trans.__('Description'), render: a => a.description, text: a => a.description }
  ];
}

/** What the Data views ask the application to do (the area binds these to commands). */
export interface IDataActions {
  addAlias: (version: DataVersion) => void;
  removeAlias: (name: string, alias: string) => void;
  setArchived: (name: string, archived: boolean) => void;
  setVersionArchived: (version: DataVersion, archived: boolean) => void;
  computeProfile: (version: DataVersion) => void;
}

function Aliases(props: { name: string; aliases: ReadonlyArray<string>; actions: IDataActions }): JSX.Element {
  return (
    <>
      {props.aliases.map(alias => (
        <span key={alias} className="jp-mlservice-alias">
          @{alias}
          <IconButton
            icon={closeIcon}
            label={trans.__('Remove alias %1', alias)}
            className="jp-mlservice-alias-remove"
            onClick={() => props.actions.removeAlias(props.name, alias)}
          />
        </span>
      ))}
    </>
  );
}

/** A data asset: what it is, its versions (each opens its profile and lineage) with their aliases. */
export function DataAssetView(props: { model: DataAssetDetailModel; actions: IDataActions; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const asset = model.asset;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Data asset')}
      title={model.name}
      status={asset?.archived ? trans.__('Archived') : null}
      className="jp-mlservice-data-asset-view"
      data={{ data: model.name }}
      model={model}
      meta={
        asset && (
          <>
            <span className="jp-mlservice-chip">{asset.kind}</span>
            {Object.keys(asset.aliases).length > 0 && <span className="jp-mlservice-alias-summary">{aliasSummary(asset.aliases)}</span>}
            {asset.description && <span>{asset.description}</span>}
          </>
        )
      }
      actions={
        asset
          ? [
              {
                label: asset.archived ? trans.__('Restore') : trans.__('Archive'),
                title: trans.__('Archived assets are hidden from lists; their versions, content and lineage stay.'),
                onClick: () => actions.setArchived(model.name, !asset.archived),
                className: 'jp-mlservice-data-archive'
              }
            ]
          : []
      }
    >
      <DetailSection title={trans.__('Versions')} className="jp-mlservice-versions">
        {asset && model.versions.length === 0 && <div className="jp-mlservice-empty">{trans.__('No versions.')}</div>}
        <ul className="jp-mlservice-list">
          {model.versions.map(version => (
            <li key={version.version} className="jp-mlservice-version" data-version={version.version}>
              <div className="jp-mlservice-item-main">
                <StudioLink
                  host={host}
                  path={dataPath(version.name, version.version)}
                  className="jp-mlservice-version-name"
                  title={trans.__('Profile, preview and lineage of %1', dataRef(version))}
                >
                  v{version.version}
                </StudioLink>
                <Aliases name={version.name} aliases={version.aliases} actions={actions} />
                {version.archived && <span className="jp-mlservice-chip">{trans.__('archived')}</span>}
                <span className="jp-mlservice-spacer" />
                <IconButton
                  icon={tagIcon}
                  label={trans.__('Add an alias to %1', dataRef(version))}
                  title={trans.__('Add an alias')}
                  onClick={() => actions.addAlias(version)}
                />
              </div>
              <div className="jp-mlservice-item-meta">
                <span>{formatTime(version.created_at)}</span>
                <span>{version.mode}</span>
                {version.row_count !== null && <span>{trans._n('%1 row', '%1 rows', version.row_count)}</span>}
                {version.size_bytes !== null && <span>{formatBytes(version.size_bytes)}</span>}
                {version.job_id && <span>{trans.__('output of a job')}</span>}
              </div>
            </li>
          ))}
        </ul>
      </DetailSection>
    </DetailFrame>
  );
}

/** A data version: its facts, profile with histograms, the first rows, and lineage. */
export function DataVersionView(props: { model: DataVersionDetailModel; actions: IDataActions; host: IDetailHost }): JSX.Element {
  const model = useModel(props.model);
  const { actions, host } = props;
  const version = model.dataVersion;
  const profile = model.profile;
  const view = readProfile(profile?.profile);
  const buttons = version
    ? [
        {
          label: trans.__('Add alias'),
          onClick: () => actions.addAlias(version),
          className: 'jp-mlservice-data-alias'
        },
        {
          label: profile ? trans.__('Profile again') : trans.__('Profile'),
          title: trans.__('Compute the profile in a job'),
          disabled: profile?.status === 'Queued',
          onClick: () => actions.computeProfile(version),
          className: 'jp-mlservice-data-profile'
        },
        {
          label: version.archived ? trans.__('Restore') : trans.__('Archive'),
          title: trans.__('An archived version is left out of lists and "latest"; data:%1@%2 still resolves.', version.name, version.version),
          onClick: () => actions.setVersionArchived(version, !version.archived),
          className: 'jp-mlservice-data-version-archive'
        }
      ]
    : [];
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Data version')}
      title={`${model.name}@${model.version}`}
      status={version ? (version.archived ? trans.__('Archived') : version.status) : null}
      className="jp-mlservice-data-version-view"
      data={{ data: model.name, version: model.version }}
      model={model}
      actions={buttons}
      meta={
        <>
          <StudioLink host={host} path={dataPath(model.name)}>
            {trans.__('all versions of %1', model.name)}
          </StudioLink>
          {version && <span className="jp-mlservice-chip">{version.kind}</span>}
          {version && <Aliases name={version.name} aliases={version.aliases} actions={actions} />}
        </>
      }
    >
      {version && (
        <>
          <DetailSection title={trans.__('Summary')} className="jp-mlservice-summary">
            <VersionFacts version={version} host={host} />
          </DetailSection>
          <DetailSection title={trans.__('Profile')} className="jp-mlservice-data-profile-section">
            {!profile && <div className="jp-mlservice-empty">{trans.__('No profile: choose "Profile" to compute one in a job.')}</div>}
            {profile && (
              <div className="jp-mlservice-item-meta">
                <span className={statusClass(profile.status)} data-status={profile.status}>
                  {profile.status}
                </span>
                {profile.job_id && (
                  <StudioLink host={host} path={`jobs/${encodeURIComponent(profile.job_id)}`} title={trans.__('The job that computes it')}>
                    {trans.__('profile job')}
                  </StudioLink>
                )}
                <span>{formatTime(profile.updated_at)}</span>
              </div>
            )}
            {profile?.error && <div className="jp-mlservice-error">{profile.error}</div>}
            {view && <ProfileSummary view={view} />}
            {view && view.columns.length > 0 && <ColumnProfiles columns={view.columns} />}
          </DetailSection>
          {view && view.sample.length > 0 && (
            <DetailSection title={trans.__('Preview')} className="jp-mlservice-data-preview">
              <Preview view={view} />
            </DetailSection>
          )}
          <DetailSection title={trans.__('Lineage')} className="jp-mlservice-data-lineage">
            {model.lineage && <DataLineageLinks lineage={model.lineage} host={host} />}
          </DetailSection>
        </>
      )}
    </DetailFrame>
  );
}

function VersionFacts(props: { version: DataVersion; host: IDetailHost }): JSX.Element {
  const { version, host } = props;
  return (
    <Facts
      rows={[
        [trans.__('Reference'), <code className="jp-mlservice-mono jp-mlservice-data-ref">{version.ref}</code>],
        [trans.__('Mode'), version.mode],
        [trans.__('Source'), <span className="jp-mlservice-mono">{version.source}</span>],
        [trans.__('Path'), version.path && <span className="jp-mlservice-mono">{version.path}</span>],
        [trans.__('Database'), version.url && <span className="jp-mlservice-mono">{version.url}</span>],
        [trans.__('Format'), version.format],
        [trans.__('Digest'), version.digest && <span className="jp-mlservice-mono" title={version.digest}>{version.digest.slice(0, 23)}…</span>],
        [trans.__('Size'), formatBytes(version.size_bytes)],
        [trans.__('Files'), version.file_count === null ? '' : String(version.file_count)],
        [trans.__('Rows'), version.row_count === null ? '' : String(version.row_count)],
        [
          trans.__('Written by'),
          version.job_id && (
            <StudioLink host={host} path={`jobs/${encodeURIComponent(version.job_id)}`} className="jp-mlservice-lineage-job">
              {version.job_id}
              {version.output_name ? trans.__(' (output %1)', version.output_name) : ''}
            </StudioLink>
          )
        ],
        [trans.__('Description'), version.description],
        [
          trans.__('Tags'),
          Object.entries(version.tags ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(', ')
        ],
        [trans.__('Created'), formatTime(version.created_at)]
      ]}
    />
  );
}

function ProfileSummary(props: { view: IProfileView }): JSX.Element {
  const { view } = props;
  const range = ([lo, hi]: [number, number]) => (lo === hi ? String(lo) : `${lo}–${hi}`);
  return (
    <Facts
      className="jp-mlservice-data-profile-summary"
      rows={[
        [trans.__('Rows'), view.rows === null ? '' : String(view.rows)],
        [trans.__('Columns'), view.columns.length > 0 ? String(view.columns.length) : ''],
        [trans.__('Files by type'), view.byExtension.length > 1 ? view.byExtension.map(([ext, n]) => `${ext} ${n}`).join(' · ') : ''],
        [
          trans.__('Image sizes'),
          view.images ? trans.__('%1 × %2 px', range(view.images.width), range(view.images.height)) : ''
        ]
      ]}
    />
  );
}

/** A value of the profile (a number, a date, text) as text. */
function statText(value: unknown): string {
  return typeof value === 'number' ? formatNumber(value) : cellText(value);
}

/** One row per column: type, nulls, distinct values, the numbers and a histogram, or top values. */
function ColumnProfiles(props: { columns: ReadonlyArray<IColumnProfile> }): JSX.Element {
  return (
    <table className="jp-mlservice-data-columns" aria-label={trans.__('Columns')}>
      <thead>
        <tr>
          <th scope="col">{trans.__('Column')}</th>
          <th scope="col">{trans.__('Type')}</th>
          <th scope="col">{trans.__('Nulls')}</th>
          <th scope="col">{trans.__('Distinct')}</th>
          <th scope="col">{trans.__('Statistics')}</th>
          <th scope="col">{trans.__('Distribution')}</th>
        </tr>
      </thead>
      <tbody>
        {props.columns.map(column => (
          <tr key={column.name} data-column={column.name}>
            <th scope="row">{column.name}</th>
            <td>
              <span className="jp-mlservice-mono">{column.type}</span>
            </td>
            <td className="jp-mlservice-num">
              {column.nulls}
              {column.nulls > 0 && ` (${(column.nullFraction * 100).toFixed(1)}%)`}
            </td>
            <td className="jp-mlservice-num">
              {column.distinct === null ? '' : `${column.distinctExact ? '' : '≈'}${column.distinct}`}
            </td>
            <td className="jp-mlservice-data-stats">
              {column.min !== undefined && (
                <div>
                  {trans.__('min %1 · max %2', statText(column.min), statText(column.max))}
                </div>
              )}
              {column.mean !== undefined && (
                <div>{trans.__('mean %1 · std %2', formatNumber(column.mean), formatNumber(column.std))}</div>
              )}
              {column.quantiles.length > 0 && (
                <div className="jp-mlservice-item-meta">
                  {column.quantiles.map(([q, v]) => `p${Math.round(Number(q) * 100)} ${formatNumber(v)}`).join(' · ')}
                </div>
              )}
            </td>
            <td>
              {column.bins.length > 0 ? (
                <Histogram column={column} />
              ) : column.top.length > 0 ? (
                <TopValues column={column} />
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const HIST_W = 200;
const HIST_H = 48;

/** A column's histogram as bars; each bar says its range and count on hover. */
export function Histogram(props: { column: IColumnProfile }): JSX.Element {
  const { column } = props;
  const max = Math.max(1, ...column.bins.map(b => b.count));
  const width = HIST_W / column.bins.length;
  const label = trans.__('Histogram of %1: %2 bins from %3 to %4', column.name, column.bins.length, formatNumber(column.bins[0].from), formatNumber(column.bins[column.bins.length - 1].to));
  return (
    <svg
      className="jp-mlservice-histogram"
      data-column={column.name}
      width={HIST_W}
      height={HIST_H}
      viewBox={`0 0 ${HIST_W} ${HIST_H}`}
      role="img"
      aria-label={label}
    >
      <title>{label}</title>
      {column.bins.map((bin, i) => {
        const h = bin.count === 0 ? 0 : Math.max(1, (bin.count / max) * HIST_H);
        return (
          <rect key={i} className="jp-mlservice-histogram-bar" x={i * width + 0.5} y={HIST_H - h} width={Math.max(1, width - 1)} height={h}>
            <title>{`[${formatNumber(bin.from)}, ${formatNumber(bin.to)}): ${column.estimated ? '≈' : ''}${bin.count}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

function TopValues(props: { column: IColumnProfile }): JSX.Element {
  const top = props.column.top.slice(0, 5);
  const max = Math.max(1, ...top.map(t => t.count));
  return (
    <ul className="jp-mlservice-top-values" aria-label={trans.__('Most frequent values of %1', props.column.name)}>
      {top.map(t => (
        <li key={cellText(t.value)}>
          <span className="jp-mlservice-top-bar" style={{ width: `${Math.round((t.count / max) * 60)}px` }} />
          <span className="jp-mlservice-mono">{cellText(t.value)}</span> <span className="jp-mlservice-item-meta">{t.count}</span>
        </li>
      ))}
    </ul>
  );
}

/** The first rows of the data (at most 100), as the profile job read them. */
function Preview(props: { view: IProfileView }): JSX.Element {
  const { view } = props;
  return (
    <>
      <div className="jp-mlservice-item-meta">{trans._n('The first %1 row', 'The first %1 rows', view.sample.length)}</div>
      <div className="jp-mlservice-data-preview-scroll" tabIndex={0} role="region" aria-label={trans.__('Preview of the first rows')}>
        <table className="jp-mlservice-data-preview-table">
          <thead>
            <tr>
              {view.sampleColumns.map(name => (
                <th key={name} scope="col">
                  {name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {view.sample.map((row, i) => (
              <tr key={i}>
                {view.sampleColumns.map(name => (
                  <td key={name}>{cellText(row[name])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** A lineage node as a studio link (jobs, model versions, data versions, endpoints). */
export function LineageLink(props: { node: LineageNode; host: Pick<IDetailHost, 'open' | 'linkTo'> }): JSX.Element {
  const { node, host } = props;
  const details = (node.details ?? {}) as Record<string, any>;
  let path: string | null = null;
  let text = node.id;
  if (node.type === 'job') {
    path = `jobs/${encodeURIComponent(node.id)}`;
    text = details.display_name || node.id;
  } else if (node.type === 'model_version') {
    const at = node.id.lastIndexOf(':');
    path = at > 0 ? `models/${encodeURIComponent(node.id.slice(0, at))}/${encodeURIComponent(node.id.slice(at + 1))}` : null;
  } else if (node.type === 'data_version') {
    const v = dataVersionOf(node.id);
    path = v ? dataPath(v.name, v.version) : null;
  } else if (node.type === 'deployment') {
    path = `endpoints/${encodeURIComponent(node.id.split('/')[0])}`;
  }
  const status = typeof details.status === 'string' ? details.status : null;
  return (
    <span className="jp-mlservice-lineage-node" data-node-type={node.type} data-node-id={node.id}>
      {path && !node.missing ? (
        <StudioLink host={host} path={path} title={node.id}>
          {text}
        </StudioLink>
      ) : (
        <span>{text}</span>
      )}
      {node.missing && <span className="jp-mlservice-item-meta">{trans.__(' (deleted)')}</span>}
      {status && (
        <span className={statusClass(status)} data-status={status}>
          {status}
        </span>
      )}
    </span>
  );
}

/** A version's lineage, by kind: the job that wrote it, jobs that read it, models, deployments, derived data. */
export function DataLineageLinks(props: { lineage: DataLineage; host: Pick<IDetailHost, 'open' | 'linkTo'> }): JSX.Element {
  const { lineage, host } = props;
  const groups: [string, string, LineageNode[]][] = [
    ['produced_by', trans.__('Made by'), lineage.produced_by],
    ['jobs', trans.__('Read by jobs'), lineage.jobs],
    ['models', trans.__('Models trained on it'), lineage.models],
    ['deployments', trans.__('Deployments serving them'), lineage.deployments],
    ['derived_data', trans.__('Data made from it'), lineage.derived_data]
  ];
  const shown = groups.filter(([, , nodes]) => nodes.length > 0);
  if (shown.length === 0) {
    return <div className="jp-mlservice-empty">{trans.__('No job has read this version yet. Give it to a job as %1.', dataRef(lineage.version))}</div>;
  }
  return (
    <table className="jp-mlservice-kv">
      <tbody>
        {shown.map(([id, label, nodes]) => (
          <tr key={id} data-lineage={id}>
            <th scope="row">{label}</th>
            <td>
              <ul className="jp-mlservice-lineage-nodes">
                {nodes.map(node => (
                  <li key={`${node.type}:${node.id}`}>
                    <LineageLink node={node} host={host} />
                  </li>
                ))}
              </ul>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A job's data inputs and outputs, each linked to the data version it read or wrote. */
export function JobDataSection(props: { job: Job; lineage: LineageGraph | null; host: Pick<IDetailHost, 'open' | 'linkTo'> }): JSX.Element | null {
  const rows = jobData(props.job, props.lineage);
  if (rows.length === 0) {
    return null;
  }
  return (
    <DetailSection title={trans.__('Data')} className="jp-mlservice-job-data">
      <table className="jp-mlservice-kv">
        <tbody>
          {rows.map(row => (
            <tr key={`${row.direction}:${row.name}`} data-direction={row.direction} data-name={row.name}>
              <th scope="row">{row.direction === 'input' ? trans.__('input %1', row.name) : trans.__('output %1', row.name)}</th>
              <td>
                <span className="jp-mlservice-mono">{row.given}</span>
                {row.version && (
                  <>
                    {' → '}
                    <StudioLink host={props.host} path={dataPath(row.version.name, row.version.version)} className="jp-mlservice-job-data-link">
                      {`${row.version.name}@${row.version.version}`}
                    </StudioLink>
                  </>
                )}
                {row.model && (
                  <>
                    {' → '}
                    <StudioLink
                      host={props.host}
                      path={`models/${encodeURIComponent(row.model.name)}/${encodeURIComponent(row.model.version)}`}
                    >
                      {`${row.model.name}:${row.model.version}`}
                    </StudioLink>
                  </>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </DetailSection>
  );
}
