import { Button, refreshIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ListFilter, ListModel } from '../models/list';
import { trans } from '../translate';
import { IconButton } from './IconButton';
import { useActiveModel } from './useModel';

/** One column of an area's list. */
export interface IColumn<T> {
  /** Stable id; the sort key the list model may send to the server. */
  id: string;
  label: string;
  render: (item: T) => React.ReactNode;
  /** Sort the page shown by this value (columns the server sorts need none). */
  sortValue?: (item: T) => string | number | null | undefined;
  /** Text the search box matches, where the server does not search. */
  text?: (item: T) => string;
  className?: string;
}

/** A filter above the list; its value goes into the list model's filter under `id`. */
export interface IFilter {
  id: string;
  label: string;
  kind: 'select' | 'text';
  /** The choices of a select ("any" comes first by itself). */
  options?: () => ReadonlyArray<{ label: string; value: string }>;
  placeholder?: string;
}

/** An action on the selected items (cancel, delete, compare...). */
export interface IListAction<T> {
  id: string;
  label: string;
  /** The items it can act on; the button is enabled while one of the selected is. */
  applies?: (item: T) => boolean;
  /** Fewest items it needs (default 1). */
  min?: number;
  run: (items: T[]) => unknown;
}

export interface IEntityListProps<T> {
  model: ListModel<T, any>;
  /** What the list holds ("Jobs"): the accessible name of the table and its controls. */
  label: string;
  columns: ReadonlyArray<IColumn<T>>;
  filters?: ReadonlyArray<IFilter>;
  actions?: ReadonlyArray<IListAction<T>>;
  /** The id of the column that names an item; rendered as its link (default: the first). */
  primary?: string;
  /** The deep link of an item (its name links there; Enter and a click open it in place). */
  href?: (item: T) => string;
  onOpen: (item: T) => void;
  /** Shown when the list is empty and nothing is filtered. */
  empty?: React.ReactNode;
  /** More controls in the toolbar (create buttons). */
  toolbar?: React.ReactNode;
  /** How an item is named to assistive technology ("Select <name>"); default: its key. */
  itemLabel?: (item: T) => string;
  /** data-* attributes of a row (tests and styles find rows by them). */
  rowData?: (item: T) => Record<string, string>;
}

function compare(a: string | number | null | undefined, b: string | number | null | undefined): number {
  if (a === b) {
    return 0;
  }
  if (a === null || a === undefined || a === '') {
    return 1;
  }
  if (b === null || b === undefined || b === '') {
    return -1;
  }
  if (typeof a === 'number' && typeof b === 'number') {
    return a - b;
  }
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: 'base' });
}

/**
 * The rows to show: the page as the server answered it, searched and sorted
 * here where the server does not do it.
 */
export function visibleRows<T>(
  model: ListModel<T, any>,
  columns: ReadonlyArray<IColumn<T>>
): ReadonlyArray<T> {
  let rows = model.items;
  const search = model.search.trim().toLowerCase();
  if (search && !model.searchesOnServer) {
    const texts = columns.filter(c => c.text);
    rows = rows.filter(item => texts.some(c => c.text!(item).toLowerCase().includes(search)));
  }
  const sort = model.sort;
  const column = sort && columns.find(c => c.id === sort.column);
  if (sort && column?.sortValue && !model.serverSorts.has(sort.column)) {
    const value = column.sortValue;
    const sign = sort.descending ? -1 : 1;
    rows = [...rows].sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      // Blanks go last either way.
      if (va === null || va === undefined || va === '' || vb === null || vb === undefined || vb === '') {
        return compare(va, vb);
      }
      return sign * compare(va, vb);
    });
  }
  return rows;
}

/**
 * One area's entities as a full-width list: sortable columns, filters, a search
 * box, cursor pages and a selection that actions act on. Keyboard: arrows,
 * Home and End move between rows, Enter opens, Space selects, Ctrl+A selects
 * the page, Escape clears the selection.
 */
export function EntityList<T>(props: IEntityListProps<T>): JSX.Element {
  const model = useActiveModel(props.model) as ListModel<T, ListFilter>;
  const { columns, label } = props;
  const rows = visibleRows(model, columns);
  const [focus, setFocus] = React.useState(0);
  const rowRefs = React.useRef<(HTMLTableRowElement | null)[]>([]);
  const primary = props.primary ?? columns[0]?.id;
  const selected = model.selected;
  const allOnPage = rows.length > 0 && rows.every(item => model.isSelected(item));
  const someOnPage = rows.some(item => model.isSelected(item));
  const filtered =
    model.search.trim() !== '' || Object.values(model.filter).some(value => value !== null && value !== undefined && value !== '');
  const current = Math.min(focus, Math.max(rows.length - 1, 0));

  const moveTo = (index: number) => {
    const next = Math.max(0, Math.min(rows.length - 1, index));
    setFocus(next);
    rowRefs.current[next]?.focus();
  };

  const onRowKey = (event: React.KeyboardEvent, item: T, index: number) => {
    if (event.target !== event.currentTarget && event.key !== 'Escape') {
      return; // keys typed into a control of the row (its checkbox, a link) are theirs
    }
    switch (event.key) {
      case 'ArrowDown':
        moveTo(index + 1);
        break;
      case 'ArrowUp':
        moveTo(index - 1);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(rows.length - 1);
        break;
      case 'Enter':
        props.onOpen(item);
        break;
      case ' ':
        model.select([item]);
        break;
      case 'Escape':
        model.clearSelection();
        break;
      case 'a':
        if (event.ctrlKey || event.metaKey) {
          model.select(rows, !allOnPage);
          break;
        }
        return;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const sortBy = (column: IColumn<T>) => {
    const sort = model.sort;
    const descending = sort?.column === column.id ? !sort.descending : false;
    void model.setSort({ column: column.id, descending });
  };
  const sortable = (column: IColumn<T>) => !!column.sortValue || model.serverSorts.has(column.id);

  return (
    <div className="jp-mlservice-entity-list" data-list={label}>
      <div className="jp-mlservice-list-toolbar">
        <SearchBox model={model} label={label} />
        {(props.filters ?? []).map(filter => (
          <FilterControl key={filter.id} filter={filter} model={model} />
        ))}
        <span className="jp-mlservice-spacer" />
        {props.toolbar}
        <IconButton
          icon={refreshIcon}
          label={trans.__('Refresh %1', label)}
          title={trans.__('Refresh')}
          onClick={() => void model.refresh().catch(() => undefined)}
        />
      </div>
      {(props.actions ?? []).length > 0 && (
        <div
          className="jp-mlservice-list-actions"
          role="group"
          aria-label={trans.__('Actions on the selected %1', label)}
        >
          <span className="jp-mlservice-selection-count" aria-live="polite">
            {trans._n('%1 selected', '%1 selected', selected.length)}
          </span>
          {props.actions!.map(action => {
            const items = selected.filter(item => !action.applies || action.applies(item));
            const enough = items.length >= (action.min ?? 1);
            return (
              <Button
                key={action.id}
                small
                className={`jp-mlservice-list-action jp-mlservice-action-${action.id}`}
                disabled={!enough}
                onClick={() => void action.run(items)}
              >
                {items.length > 0 ? `${action.label} (${items.length})` : action.label}
              </Button>
            );
          })}
          {selected.length > 0 && (
            <Button minimal small onClick={() => model.clearSelection()}>
              {trans.__('Clear selection')}
            </Button>
          )}
        </div>
      )}
      {model.error && (
        <div className="jp-mlservice-error" role="alert">
          {model.error}
        </div>
      )}
      <table className="jp-mlservice-table" aria-label={label} aria-busy={model.loading}>
        <thead>
          <tr>
            <th className="jp-mlservice-check-cell" scope="col">
              <input
                type="checkbox"
                aria-label={trans.__('Select every %1 on this page', label)}
                checked={allOnPage}
                ref={node => {
                  if (node) {
                    node.indeterminate = someOnPage && !allOnPage;
                  }
                }}
                disabled={rows.length === 0}
                onChange={e => model.select(rows, e.currentTarget.checked)}
              />
            </th>
            {columns.map(column => {
              const sorted = model.sort?.column === column.id ? model.sort : null;
              const ariaSort = sorted ? (sorted.descending ? 'descending' : 'ascending') : undefined;
              return (
                <th key={column.id} scope="col" aria-sort={ariaSort} className={column.className} data-column={column.id}>
                  {sortable(column) ? (
                    <button
                      className="jp-mlservice-sort-button"
                      onClick={() => sortBy(column)}
                      title={trans.__('Sort by %1', column.label)}
                    >
                      {column.label}
                      <span aria-hidden="true" className="jp-mlservice-sort-mark">
                        {sorted ? (sorted.descending ? ' ▼' : ' ▲') : ''}
                      </span>
                    </button>
                  ) : (
                    column.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((item, index) => {
            const key = model.key(item);
            const isSelected = model.isSelected(item);
            return (
              <tr
                key={key}
                ref={node => (rowRefs.current[index] = node)}
                tabIndex={index === current ? 0 : -1}
                aria-selected={isSelected}
                className={`jp-mlservice-row${isSelected ? ' jp-mod-selected' : ''}`}
                data-key={key}
                {...Object.fromEntries(Object.entries(props.rowData?.(item) ?? {}).map(([k, v]) => [`data-${k}`, v]))}
                onKeyDown={e => onRowKey(e, item, index)}
                onFocus={() => setFocus(index)}
              >
                <td className="jp-mlservice-check-cell">
                  <input
                    type="checkbox"
                    tabIndex={-1}
                    aria-label={trans.__('Select %1', props.itemLabel?.(item) ?? key)}
                    checked={isSelected}
                    onChange={() => model.select([item])}
                  />
                </td>
                {columns.map(column => (
                  <td key={column.id} className={column.className} data-column={column.id}>
                    {column.id === primary ? (
                      <a
                        className="jp-mlservice-entity-link"
                        href={props.href?.(item) ?? '#'}
                        tabIndex={-1}
                        onClick={e => {
                          if (e.button === 0 && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
                            e.preventDefault();
                            props.onOpen(item);
                          }
                        }}
                      >
                        {column.render(item)}
                      </a>
                    ) : (
                      column.render(item)
                    )}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      {!model.loading && rows.length === 0 && !model.error && (
        <div className="jp-mlservice-empty">
          {filtered ? trans.__('Nothing matches: change the search or the filters.') : (props.empty ?? trans.__('Nothing here yet.'))}
        </div>
      )}
      {model.loading && rows.length === 0 && <div className="jp-mlservice-empty">{trans.__('Loading…')}</div>}
      <nav className="jp-mlservice-pager" aria-label={trans.__('Pages of %1', label)}>
        <Button
          minimal
          small
          aria-label={trans.__('Previous page')}
          disabled={!model.hasPrevious}
          onClick={() => void model.previousPage()}
        >
          {trans.__('‹ Previous')}
        </Button>
        <span>{trans.__('page %1', model.page + 1)}</span>
        <Button minimal small aria-label={trans.__('Next page')} disabled={!model.hasNext} onClick={() => void model.nextPage()}>
          {trans.__('Next ›')}
        </Button>
      </nav>
    </div>
  );
}

/** The search box: filters the page as you type, or asks the server once you pause. */
function SearchBox(props: { model: ListModel<any, any>; label: string }): JSX.Element {
  const { model } = props;
  const [text, setText] = React.useState(model.search);
  React.useEffect(() => {
    if (!model.searchesOnServer) {
      void model.setSearch(text);
      return;
    }
    const timer = setTimeout(() => void model.setSearch(text), 400);
    return () => clearTimeout(timer);
  }, [text]);
  return (
    <input
      type="search"
      className="jp-mlservice-input jp-mlservice-list-search"
      aria-label={trans.__('Search %1', props.label)}
      placeholder={trans.__('Search')}
      value={text}
      onChange={e => setText(e.currentTarget.value)}
    />
  );
}

function FilterControl(props: { filter: IFilter; model: ListModel<any, ListFilter> }): JSX.Element {
  const { filter, model } = props;
  const value = (model.filter[filter.id] as string | null | undefined) ?? '';
  const [text, setText] = React.useState(value);
  if (filter.kind === 'select') {
    return (
      <select
        className="jp-mlservice-input jp-mlservice-list-filter"
        aria-label={filter.label}
        data-filter={filter.id}
        value={value}
        onChange={e => void model.setFilter({ [filter.id]: e.currentTarget.value || null })}
      >
        <option value="">{trans.__('%1: any', filter.label)}</option>
        {(filter.options?.() ?? []).map(option => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    );
  }
  const apply = () => {
    if (text.trim() !== value) {
      void model.setFilter({ [filter.id]: text.trim() || null });
    }
  };
  return (
    <input
      className="jp-mlservice-input jp-mlservice-list-filter"
      aria-label={filter.label}
      data-filter={filter.id}
      placeholder={filter.placeholder ?? filter.label}
      value={text}
      onChange={e => setText(e.currentTarget.value)}
      onKeyDown={e => e.key === 'Enter' && apply()}
      onBlur={apply}
    />
  );
}
