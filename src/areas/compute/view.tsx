import { Button, deleteIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { TargetsModel } from '../models/targets';
import { useModel } from './useModel';

export interface IComputeSectionProps {
  model: TargetsModel;
  onDelete: (name: string) => void;
  onCreate: () => void;
}

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
          <span>{nodes.length} node(s)</span>
          {queued.length > 0 && (
            <span title={queued.map(q => `${q.job_id} (${q.since_s}s)`).join('\n')}>
              {queued.length} waiting on the cluster
            </span>
          )}
        </div>
      )}
      {status.error && <div className="jp-mlservice-error">{status.error}</div>}
      {nodes.length > 0 && (
        <table className="jp-mlservice-nodes">
          <thead>
            <tr>
              <th>node</th>
              <th>CPU</th>
              <th>GPU</th>
              <th>use CPU / GPU</th>
            </tr>
          </thead>
          <tbody>
            {nodes.map(node => (
              <tr key={node.node_id ?? node.ip} title={node.node_id}>
                <td>
                  {node.node_type ?? (node.is_head ? 'head' : 'worker')}
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

/** Compute targets: type, capacity, running and queued counts; cluster nodes for Ray targets. */
export function ComputeSection(props: IComputeSectionProps): JSX.Element {
  const model = useModel(props.model);
  return (
    <div className="jp-mlservice-section-body jp-mlservice-compute">
      {model.error && <div className="jp-mlservice-error">{model.error}</div>}
      {!model.loading && model.items.length === 0 && !model.error && (
        <div className="jp-mlservice-empty">
          No compute targets.{' '}
          <Button minimal small onClick={props.onCreate}>
            Create one
          </Button>
        </div>
      )}
      <ul className="jp-mlservice-list">
        {model.items.map(target => (
          <li
            key={target.name}
            className="jp-mlservice-item jp-mlservice-target"
            data-target={target.name}
            title={target.description || target.name}
          >
            <div className="jp-mlservice-item-main">
              <span className="jp-mlservice-item-name">{target.name}</span>
              <span className="jp-mlservice-chip">{target.type}</span>
            </div>
            <div className="jp-mlservice-item-meta">
              <span title="Jobs that may run at once">
                capacity {target.capacity ?? '∞'}
              </span>
              <span className="jp-mlservice-count-running">
                {target.running} running
              </span>
              <span className="jp-mlservice-count-queued">
                {target.queued} queued
              </span>
            </div>
            <ClusterStatus status={target.status} />
            <button
              className="jp-mlservice-icon-button"
              aria-label={`Delete ${target.name}`}
              title={`Delete ${target.name}`}
              onClick={() => props.onDelete(target.name)}
            >
              <deleteIcon.react tag="span" />
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
