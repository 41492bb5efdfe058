import { Button, copyIcon, launchIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { trans } from '../translate';
import { IconButton } from './IconButton';
import { statusClass } from './format';

/** A button in a detail view's header. */
export interface IDetailAction {
  label: string;
  onClick: () => void;
  disabled?: boolean;
  /** More words for the tooltip. */
  title?: string;
  className?: string;
}

/**
 * Where a detail view is shown: inside the studio (with a way back to its list)
 * or in a tab of its own. The studio provides it; detail views only read it.
 */
export interface IDetailHost {
  /** The view's deep link (copied by "Copy link"). */
  link: string;
  /** Back to the list the view was opened from (inside the studio). */
  back?: { label: string; go: () => void };
  /** Open this view in a tab of its own (inside the studio). */
  popOut?: () => void;
  /** Open another entity's view ("jobs/<id>"). */
  open: (path: string) => void;
  /** The deep link of another studio path (for real links: a middle click opens a browser tab). */
  linkTo: (path: string) => string;
  /** Copy text to the clipboard, saying what was copied. */
  copy: (text: string, what: string) => void;
}

export interface IDetailFrameProps {
  host: IDetailHost;
  /** What the entity is ("Job", "Endpoint"). */
  kind: string;
  title: React.ReactNode;
  status?: string | null;
  /** A line under the title (target, experiment...). */
  meta?: React.ReactNode;
  actions?: ReadonlyArray<IDetailAction>;
  /**
   * The model the view reads (a `PolledModel`): "Loading…" until its first read, its error,
   * and "does not exist" once the server said 404. The three props below override it.
   */
  model?: { loading: boolean; error: string | null; gone: boolean };
  error?: string | null;
  /** True until the entity was read once: shows "Loading…" instead of the sections. */
  loading?: boolean;
  /** The entity does not exist (deleted meanwhile, or a wrong link): says so instead of the sections. */
  gone?: boolean;
  className?: string;
  /** data-* attributes of the frame (tests find views by them). */
  data?: Record<string, string>;
  children?: React.ReactNode;
}

/**
 * The frame every entity's detail view shares: a way back, what it is, its
 * status, its actions, "copy link" and "open in a tab", then its sections.
 */
export function DetailFrame(props: IDetailFrameProps): JSX.Element {
  const { host, model } = props;
  const gone = props.gone ?? model?.gone ?? false;
  const loading = props.loading ?? model?.loading ?? false;
  const error = props.error !== undefined ? props.error : (model?.error ?? null);
  const titleId = React.useId();
  const data = Object.fromEntries(Object.entries(props.data ?? {}).map(([k, v]) => [`data-${k}`, v]));
  return (
    <article
      className={`jp-mlservice-detail jp-mlservice-detail-frame${props.className ? ` ${props.className}` : ''}`}
      aria-labelledby={titleId}
      {...data}
    >
      {host.back && (
        <button className="jp-mlservice-back" onClick={host.back.go}>
          {trans.__('‹ %1', host.back.label)}
        </button>
      )}
      <header className="jp-mlservice-detail-header">
        <span className="jp-mlservice-detail-kind">{props.kind}</span>
        <h2 id={titleId}>{props.title}</h2>
        {props.status && !gone && (
          <span className={statusClass(props.status)} data-status={props.status}>
            {props.status}
          </span>
        )}
        <div className="jp-mlservice-detail-actions">
          {(gone ? [] : (props.actions ?? [])).map(action => (
            <Button
              key={action.label}
              small
              className={action.className}
              disabled={action.disabled}
              title={action.title}
              onClick={action.onClick}
            >
              {action.label}
            </Button>
          ))}
          <IconButton
            icon={copyIcon}
            label={trans.__('Copy the link to this %1', props.kind)}
            title={trans.__('Copy link')}
            className="jp-mlservice-copy-link"
            onClick={() => host.copy(host.link, trans.__('The link'))}
          />
          {host.popOut && (
            <IconButton
              icon={launchIcon}
              label={trans.__('Open this %1 in a new tab', props.kind)}
              title={trans.__('Open in a new tab')}
              className="jp-mlservice-pop-out"
              onClick={host.popOut}
            />
          )}
        </div>
      </header>
      {props.meta && <div className="jp-mlservice-item-meta jp-mlservice-detail-meta">{props.meta}</div>}
      {error && !gone && (
        <div className="jp-mlservice-error" role="alert">
          {error}
        </div>
      )}
      {gone ? (
        <div className="jp-mlservice-empty">
          {trans.__('%1 "%2" does not exist (any more): it was deleted, or the link is wrong.', props.kind, props.title)}
        </div>
      ) : loading ? (
        <div className="jp-mlservice-empty">{trans.__('Loading…')}</div>
      ) : (
        props.children
      )}
    </article>
  );
}

/** One titled section of a detail view. */
export function DetailSection(props: {
  title: string;
  className?: string;
  actions?: React.ReactNode;
  children?: React.ReactNode;
}): JSX.Element {
  return (
    <section className={`jp-mlservice-detail-section${props.className ? ` ${props.className}` : ''}`}>
      <h3>
        {props.title}
        {props.actions && <span className="jp-mlservice-section-actions">{props.actions}</span>}
      </h3>
      {props.children}
    </section>
  );
}

/** Label/value rows (a row with no value is left out). */
export function Facts(props: { rows: ReadonlyArray<[string, React.ReactNode]>; className?: string }): JSX.Element {
  return (
    <table className={`jp-mlservice-kv${props.className ? ` ${props.className}` : ''}`}>
      <tbody>
        {props.rows
          .filter(([, value]) => value !== null && value !== undefined && value !== '')
          .map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td>{value}</td>
            </tr>
          ))}
      </tbody>
    </table>
  );
}

/** A link to another studio view: opens in place, or in a browser tab on a middle or Ctrl click. */
export function StudioLink(props: {
  host: Pick<IDetailHost, 'open' | 'linkTo'>;
  path: string;
  title?: string;
  className?: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <a
      href={props.host.linkTo(props.path)}
      className={props.className}
      title={props.title}
      onClick={e => {
        if (e.button === 0 && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
          e.preventDefault();
          props.host.open(props.path);
        }
      }}
    >
      {props.children}
    </a>
  );
}
