import type { LabIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

/** A small button showing an icon; `label` names it to assistive technology, `title` explains it. */
export function IconButton(props: {
  icon: LabIcon;
  label: string;
  title?: string;
  className?: string;
  disabled?: boolean;
  onClick: () => void;
}): JSX.Element {
  const Icon = props.icon;
  return (
    <button
      className={`jp-mlservice-icon-button${props.className ? ` ${props.className}` : ''}`}
      aria-label={props.label}
      title={props.title ?? props.label}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      <Icon.react tag="span" />
    </button>
  );
}
