import * as React from 'react';

import type { Target } from '../../api/client';
import { DetailFrame, DetailSection, Facts, IDetailHost } from '../../components/DetailFrame';
import type { IColumn } from '../../components/EntityList';
import { formatTime } from '../../components/format';
import { useModel } from '../../components/useModel';
import { trans } from '../../translate';
import { TargetDetailModel } from './model';

interface INode {
  node_id?: string;
  ip?: string;
  is_head?: boolean;
  state?: string;
  node_type?: string;
  resources?: Record<string, number>;
  utilisation?: Record<string, number>;
}

function percent(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value * 100)}%`;
}

/** What a cluster backend reports (Ray: state, nodes with resources and use, queued jobs). */
export function ClusterStatus(props: {
  status?: { [key: string]: unknown } | null;
}): JSX.Element | null {
  const status = (props.status ?? {}) as {
    state?: string;
    error?: string | null;
    nodes?: INode[];
    queued_jobs?: { job_id: string; since_s: number }[];
  };
  if (!status.state && !status.nodes) {
    return null;
  }
  const nodes = status.nodes ?? [];
  const queued = status.queued_jobs ?? [];
  return (
    <div className="jp-mlservice-cluster" data-state={status.state}>
      {status.state && (
        <div className="jp-mlservice-item-meta">
          <span className="jp-mlservice-chip">{status.state}</span>
          <span>{trans._n('%1 node', '%1 nodes', nodes.length)}</span>
          {queued.length > 0 && (
            <span title={queued.map(q => `${q.job_id} (${q.since_s}s)`).join('\n')}>
              {trans.__('%1 waiting on the cluster', queued.length)}
            </span>
          )}
        </div>
      )}
      {status.error && <div className="jp-mlservice-error">{status.error}</div>}
      {nodes.length > 0 && (
        <table className="jp-mlservice-nodes">
          <thead>
            <tr>
              <th scope="col">{trans.__('node')}</th>
              <th scope="col">CPU</th>
              <th scope="col">GPU</th>
              <th scope="col">{trans.__('use CPU / GPU')}</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map(node => (
              <tr key={node.node_id ?? node.ip} title={node.node_id}>
                <td>
                  {node.node_type ?? (node.is_head ? trans.__('head') : trans.__('worker'))}
                  {node.state && node.state !== 'ALIVE' ? ` (${node.state})` : ''}
                </td>
                <td>{node.resources?.CPU ?? 0}</td>
                <td>{node.resources?.GPU ?? 0}</td>
                <td>
                  {percent(node.utilisation?.CPU)} /{' '}
                  {node.resources?.GPU ? percent(node.utilisation?.GPU) : '–'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The state a cluster target reports ("ready", "starting"...), or '' for a local one. */
function clusterState(target: Target): string {
  const state = (target.status as { state?: string } | undefined)?.state;
  return state ?? '';
}

/** The Compute list's columns: type, capacity, running and queued jobs, cluster state. */
export function targetColumns(): IColumn<Target>[] {
  return [
    { id: 'name', label: trans.__('Name'), render: t => t.name, sortValue: t => t.name, text: t => `${t.name} ${t.description}` },
    { id: 'type', label: trans.__('Type'), render: t => <span className="jp-mlservice-chip">{t.type}</span>, sortValue: t => t.type, text: t => t.type },
    {
      id: 'capacity',
      label: trans.__('Capacity'),
      render: t => t.capacity ?? '∞',
      sortValue: t => t.capacity ?? Number.MAX_SAFE_INTEGER,
      className: 'jp-mlservice-num'
    },
    {
      id: 'running',
      label: trans.__('Running'),
      render: t => <span className="jp-mlservice-count-running">{t.running}</span>,
      sortValue: t => t.running,
      className: 'jp-mlservice-num'
    },
    {
      id: 'queued',
      label: trans.__('Queued'),
      render: t => <span className="jp-mlservice-count-queued">{t.queued}</span>,
      sortValue: t => t.queued,
      className: 'jp-mlservice-num'
    },
    { id: 'state', label: trans.__('Cluster'), render: t => clusterState(t), sortValue: t => clusterState(t) }
  ];
}

/** A compute target: what it is, its capacity and use, its cluster's nodes. */
export function TargetView(props: {
  model: TargetDetailModel;
  host: IDetailHost;
  onDelete: (name: string) => void;
}): JSX.Element {
  const model = useModel(props.model);
  const { host } = props;
  const target = model.target;
  return (
    <DetailFrame
      host={host}
      kind={trans.__('Compute target')}
      title={model.name}
      className="jp-mlservice-target-view"
      data={{ target: model.name }}
      model={model}
      meta={target && <span className="jp-mlservice-chip">{target.type}</span>}
      actions={[{ label: trans.__('Delete'), onClick: () => props.onDelete(model.name), className: 'jp-mlservice-target-delete' }]}
    >
      {target && (
        <>
          <DetailSection title={trans.__('Summary')} className="jp-mlservice-summary">
            <Facts
              rows={[
                [trans.__('Description'), target.description],
                [trans.__('Capacity'), target.capacity === null ? trans.__('unbounded') : String(target.capacity)],
                [trans.__('Running'), trans._n('%1 job', '%1 jobs', target.running)],
                [trans.__('Queued'), trans._n('%1 job', '%1 jobs', target.queued)],
                [trans.__('Created'), formatTime(target.created_at)]
              ]}
            />
          </DetailSection>
          <DetailSection title={trans.__('Settings')} className="jp-mlservice-target-settings">
            <pre className="jp-mlservice-code">{JSON.stringify(target.settings ?? {}, null, 2)}</pre>
          </DetailSection>
          {clusterState(target) && (
            <DetailSection title={trans.__('Cluster')}>
              <ClusterStatus status={target.status} />
            </DetailSection>
          )}
        </>
      )}
    </DetailFrame>
  );
}
