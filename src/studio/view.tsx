import { Button } from '@jupyterlab/ui-components';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import type { IDetailHost } from '../components/DetailFrame';
import { EntityList } from '../components/EntityList';
import { useModel } from '../components/useModel';
import { trans } from '../translate';
import { joinPath } from './links';
import { StudioModel } from './model';
import type { IArea, IAreaList } from './registry';

/** What the studio view needs from the application around it. */
export interface IStudioHost {
  commands: CommandRegistry;
  /** The deep link of a studio path. */
  link: (path: string) => string;
  copy: (text: string, what: string) => void;
  /** Open a studio path's view in a tab of its own. */
  popOut: (path: string) => void;
}

/** Links of the nav move with the arrow keys too (Home/End: first and last). */
function onNavKey(event: React.KeyboardEvent<HTMLElement>): void {
  const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
  if (!keys.includes(event.key)) {
    return;
  }
  const links = [...event.currentTarget.querySelectorAll<HTMLAnchorElement>('a.jp-mlservice-nav-link')];
  const index = links.indexOf(document.activeElement as HTMLAnchorElement);
  const next =
    event.key === 'Home'
      ? 0
      : event.key === 'End'
        ? links.length - 1
        : Math.max(0, Math.min(links.length - 1, index + (event.key === 'ArrowDown' ? 1 : -1)));
  links[next]?.focus();
  event.preventDefault();
}

function StudioNav(props: { model: StudioModel; host: IStudioHost }): JSX.Element {
  const { model, host } = props;
  const current = model.area;
  const compareCount = model.compare.runs.length;
  const compare = model.registry.get('compare');
  const entries = model.registry.areas.filter(area => !area.hidden || (area === compare && compareCount > 0));
  return (
    <nav className="jp-mlservice-studio-nav" aria-label={trans.__('ML Studio areas')} onKeyDown={onNavKey}>
      <div className="jp-mlservice-studio-brand" aria-hidden="true">
        {trans.__('ML Studio')}
      </div>
      <ul>
        {entries.map(area => {
          const active = area === current;
          const Icon = area.icon;
          return (
            <li key={area.id}>
              <a
                className={`jp-mlservice-nav-link${active ? ' jp-mod-current' : ''}`}
                href={host.link(area.id)}
                data-area={area.id}
                aria-current={active ? 'page' : undefined}
                onClick={e => {
                  if (e.button === 0 && !e.ctrlKey && !e.metaKey) {
                    e.preventDefault();
                    model.navigate(area === compare ? joinPath(['compare', model.compare.runs.map(r => r.run_id).join(',')]) : area.id);
                  }
                }}
              >
                {Icon && <Icon.react tag="span" className="jp-mlservice-nav-icon" />}
                <span>{area === compare ? trans.__('%1 (%2)', area.label, compareCount) : area.label}</span>
              </a>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

function CommandButtons(props: { host: IStudioHost; commands: NonNullable<IAreaList<any>['commands']> }): JSX.Element {
  const { commands } = props.host;
  return (
    <>
      {props.commands
        .filter(c => commands.hasCommand(c.id))
        .map(c => (
          <Button
            key={c.id}
            small
            className="jp-mlservice-area-command"
            data-command={c.id}
            title={commands.caption(c.id, c.args)}
            disabled={!commands.isEnabled(c.id, c.args)}
            onClick={() => void commands.execute(c.id, c.args)}
          >
            {commands.label(c.id, c.args)}
          </Button>
        ))}
    </>
  );
}

function AreaList(props: { area: IArea; list: IAreaList<any>; model: StudioModel; host: IStudioHost }): JSX.Element {
  const { area, list, model, host } = props;
  const pathOf = (item: any) => joinPath([area.id, ...list.path(item)]);
  return (
    <div className={`jp-mlservice-area jp-mlservice-area-${area.id}`} data-area={area.id}>
      <header className="jp-mlservice-area-header">
        <h2>{area.label}</h2>
        {area.caption && <p className="jp-mlservice-area-caption">{area.caption}</p>}
      </header>
      <EntityList
        model={list.model}
        label={area.label}
        columns={list.columns}
        filters={list.filters}
        actions={list.actions}
        primary={list.primary}
        itemLabel={list.itemLabel}
        rowData={list.rowData}
        empty={list.empty}
        href={item => host.link(pathOf(item))}
        onOpen={item => model.navigate(pathOf(item))}
        toolbar={list.commands ? <CommandButtons host={host} commands={list.commands} /> : undefined}
      />
    </div>
  );
}

/**
 * The ML Studio: a nav over every area, and the area's list, page, or the view
 * of one of its entities.
 */
export function Studio(props: { model: StudioModel; host: IStudioHost }): JSX.Element {
  const model = useModel(props.model);
  useModel(model.compare);
  const { host } = props;
  const area = model.area;
  let content: JSX.Element;
  if (!area) {
    content = <div className="jp-mlservice-empty">{trans.__('Loading…')}</div>;
  } else if (model.detail) {
    const path = model.path;
    const detailHost: IDetailHost = {
      link: host.link(path),
      back: { label: area.label, go: () => model.navigate(area.id) },
      popOut: () => host.popOut(path),
      open: target => model.navigate(target),
      linkTo: host.link,
      copy: host.copy
    };
    content = <React.Fragment key={path}>{model.detail.render(detailHost)}</React.Fragment>;
  } else if (area.page) {
    content = area.page({ open: path => model.navigate(path), link: host.link }, model.segments.slice(1) as string[]);
  } else if (model.segments.length > 1) {
    content = (
      <div className="jp-mlservice-empty" role="alert">
        {trans.__('There is nothing at "%1" in %2.', model.segments.slice(1).join('/'), area.label)}{' '}
        <a href={host.link(area.id)} onClick={e => (e.preventDefault(), model.navigate(area.id))}>
          {trans.__('Show the list')}
        </a>
      </div>
    );
  } else if (area.list) {
    content = <AreaList key={area.id} area={area} list={area.list} model={model} host={host} />;
  } else {
    content = <div className="jp-mlservice-empty">{area.caption}</div>;
  }
  return (
    <div className="jp-mlservice-studio" data-path={model.path}>
      <StudioNav model={model} host={host} />
      <div className="jp-mlservice-studio-content" role="region" aria-label={area?.label ?? trans.__('ML Studio')}>
        {content}
      </div>
    </div>
  );
}
