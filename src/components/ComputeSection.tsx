import { Button, deleteIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { TargetsModel } from '../models/targets';
import { useModel } from './useModel';

export interface IComputeSectionProps {
  model: TargetsModel;
  onDelete: (name: string) => void;
  onCreate: () => void;
}

/** Compute targets: type, capacity, running and queued counts. */
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
