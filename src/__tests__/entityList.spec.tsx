import { act, fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import type { IPage } from '../api/client';
import { EntityList, IColumn, IListAction } from '../components/EntityList';
import { IListQuery, ListModel } from '../models/list';

interface IFruit {
  name: string;
  color: string;
  weight: number;
}

const FRUITS: IFruit[] = [
  { name: 'apple', color: 'red', weight: 150 },
  { name: 'banana', color: 'yellow', weight: 120 },
  { name: 'cherry', color: 'red', weight: 8 },
  { name: 'damson', color: 'purple', weight: 30 },
  { name: 'elderberry', color: 'purple', weight: 1 }
];

/**
 * A list over an in-memory table, paged by cursor like the server's lists: the cursor is the
 * index of the page's first item; `color` is filtered and `weight` sorted by the "server".
 */
class FruitsModel extends ListModel<IFruit, { color: string | null }> {
  queries: IListQuery<{ color: string | null }>[] = [];

  key(item: IFruit): string {
    return item.name;
  }

  get serverSorts(): ReadonlySet<string> {
    return new Set(['weight']);
  }

  protected async fetchPage(query: IListQuery<{ color: string | null }>): Promise<IPage<IFruit>> {
    this.queries.push(query);
    let rows = FRUITS.filter(f => !query.filter.color || f.color === query.filter.color);
    if (query.sort) {
      const sign = query.sort.descending ? -1 : 1;
      rows = [...rows].sort((a, b) => sign * (a.weight - b.weight));
    }
    const start = Number(query.cursor ?? 0);
    const end = start + query.limit;
    return { items: rows.slice(start, end), next_cursor: end < rows.length ? String(end) : null };
  }
}

const columns: IColumn<IFruit>[] = [
  { id: 'name', label: 'Name', render: f => f.name, sortValue: f => f.name, text: f => f.name },
  { id: 'color', label: 'Color', render: f => f.color, sortValue: f => f.color, text: f => f.color },
  { id: 'weight', label: 'Weight', render: f => `${f.weight} g` }
];

function rowNames(): string[] {
  return [...document.querySelectorAll('tbody tr')].map(tr => tr.getAttribute('data-key')!);
}

async function setup(options: { pageSize?: number; actions?: IListAction<IFruit>[] } = {}) {
  const model = new FruitsModel({ auto: false, pageSize: options.pageSize ?? 10 });
  const onOpen = jest.fn();
  render(
    <EntityList
      model={model}
      label="Fruits"
      columns={columns}
      filters={[
        {
          id: 'color',
          label: 'Color',
          kind: 'select',
          options: () => ['red', 'yellow', 'purple'].map(c => ({ label: c, value: c }))
        }
      ]}
      actions={options.actions}
      href={f => `/lab/mlservice/fruits/${f.name}`}
      onOpen={onOpen}
      rowData={f => ({ color: f.color })}
    />
  );
  await act(() => model.refresh());
  return { model, onOpen };
}

describe('EntityList', () => {
  it('shows a column per spec and a row per item, each linked to its view', async () => {
    const { model, onOpen } = await setup();
    expect(screen.getByRole('table', { name: 'Fruits' })).toBeTruthy();
    expect([...document.querySelectorAll('thead th')].map(th => th.textContent)).toEqual(['', 'Name', 'Color', 'Weight']);
    expect(rowNames()).toEqual(['apple', 'banana', 'cherry', 'damson', 'elderberry']);
    const link = screen.getByText('banana').closest('a')!;
    expect(link.getAttribute('href')).toBe('/lab/mlservice/fruits/banana');
    expect(document.querySelector('tr[data-key="banana"]')!.getAttribute('data-color')).toBe('yellow');
    fireEvent.click(link);
    expect(onOpen).toHaveBeenCalledWith(FRUITS[1]);
    model.dispose();
  });

  it('sorts the page by a column, both ways, and says so to assistive technology', async () => {
    const { model } = await setup();
    fireEvent.click(screen.getByRole('button', { name: 'Color' }));
    expect(rowNames()).toEqual(['damson', 'elderberry', 'apple', 'cherry', 'banana']);
    expect(screen.getByRole('columnheader', { name: /Color/ }).getAttribute('aria-sort')).toBe('ascending');
    fireEvent.click(screen.getByRole('button', { name: /Color/ }));
    expect(rowNames()).toEqual(['banana', 'apple', 'cherry', 'damson', 'elderberry']);
    expect(screen.getByRole('columnheader', { name: /Color/ }).getAttribute('aria-sort')).toBe('descending');
    // Sorting the page asks nothing of the server.
    expect(model.queries).toHaveLength(1);
    model.dispose();
  });

  it('asks the server for a column it sorts, from the first page', async () => {
    const { model } = await setup({ pageSize: 2 });
    await act(() => model.nextPage());
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Weight' }));
      await model.poll.tick;
    });
    const last = model.queries[model.queries.length - 1];
    expect(last.sort).toEqual({ column: 'weight', descending: false });
    expect(last.cursor).toBeNull();
    expect(rowNames()).toEqual(['elderberry', 'cherry']);
    model.dispose();
  });

  it('filters on the server and goes back to the first page', async () => {
    const { model } = await setup({ pageSize: 2 });
    await act(() => model.nextPage());
    expect(model.page).toBe(1);
    await act(async () => {
      fireEvent.change(screen.getByLabelText('Color'), { target: { value: 'red' } });
      await model.poll.tick;
    });
    expect(model.queries[model.queries.length - 1]).toMatchObject({ filter: { color: 'red' }, cursor: null });
    expect(model.page).toBe(0);
    expect(rowNames()).toEqual(['apple', 'cherry']);
    model.dispose();
  });

  it('searches the page shown, and says when nothing matches', async () => {
    const { model } = await setup();
    fireEvent.change(screen.getByLabelText('Search Fruits'), { target: { value: 'PURPLE' } });
    await act(async () => undefined);
    expect(rowNames()).toEqual(['damson', 'elderberry']);
    fireEvent.change(screen.getByLabelText('Search Fruits'), { target: { value: 'kiwi' } });
    await act(async () => undefined);
    expect(rowNames()).toEqual([]);
    expect(screen.getByText(/Nothing matches/)).toBeTruthy();
    model.dispose();
  });

  it('pages forward and back by cursor', async () => {
    const { model } = await setup({ pageSize: 2 });
    expect(rowNames()).toEqual(['apple', 'banana']);
    expect((screen.getByRole('button', { name: 'Previous page' }) as HTMLButtonElement).disabled).toBe(true);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
      await model.poll.tick;
    });
    expect(rowNames()).toEqual(['cherry', 'damson']);
    expect(model.queries.map(q => q.cursor)).toEqual([null, '2']);
    expect(screen.getByText('page 2')).toBeTruthy();
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
      await model.poll.tick;
    });
    expect(rowNames()).toEqual(['elderberry']);
    expect((screen.getByRole('button', { name: 'Next page' }) as HTMLButtonElement).disabled).toBe(true);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Previous page' }));
      await model.poll.tick;
    });
    expect(rowNames()).toEqual(['cherry', 'damson']);
    model.dispose();
  });

  it('acts on the selected items an action applies to, selection kept across pages', async () => {
    const eat = jest.fn();
    const { model } = await setup({
      pageSize: 3,
      actions: [{ id: 'eat', label: 'Eat', applies: f => f.color === 'red', run: eat }]
    });
    const eatButton = () => screen.getByRole('button', { name: /^Eat/ }) as HTMLButtonElement;
    expect(eatButton().disabled).toBe(true);
    fireEvent.click(screen.getByLabelText('Select banana'));
    expect(eatButton().disabled).toBe(true); // banana is not red
    fireEvent.click(screen.getByLabelText('Select apple'));
    expect(eatButton().textContent).toBe('Eat (1)');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
      await model.poll.tick;
    });
    expect(screen.getByText('2 selected')).toBeTruthy();
    fireEvent.click(eatButton());
    expect(eat).toHaveBeenCalledWith([FRUITS[0]]);
    fireEvent.click(screen.getByText('Clear selection'));
    expect(model.selected).toEqual([]);
    model.dispose();
  });

  it('selects every item of the page from the header', async () => {
    const { model } = await setup({ actions: [{ id: 'x', label: 'X', run: jest.fn() }] });
    const all = screen.getByLabelText('Select every Fruits on this page') as HTMLInputElement;
    fireEvent.click(all);
    expect(model.selected.map(f => f.name)).toEqual(FRUITS.map(f => f.name));
    expect(all.checked).toBe(true);
    fireEvent.click(all);
    expect(model.selected).toEqual([]);
    model.dispose();
  });

  it('moves between rows with the keyboard, opens with Enter and selects with Space', async () => {
    const { model, onOpen } = await setup({ actions: [{ id: 'x', label: 'X', run: jest.fn() }] });
    const rows = () => [...document.querySelectorAll<HTMLTableRowElement>('tbody tr')];
    // One row is in the tab order at a time (a roving tab index).
    expect(rows().map(r => r.tabIndex)).toEqual([0, -1, -1, -1, -1]);
    act(() => rows()[0].focus());
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    expect(document.activeElement).toBe(rows()[1]);
    fireEvent.keyDown(document.activeElement!, { key: 'End' });
    expect(document.activeElement).toBe(rows()[4]);
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowUp' });
    expect(document.activeElement).toBe(rows()[3]);
    expect(rows().map(r => r.tabIndex)).toEqual([-1, -1, -1, 0, -1]);
    fireEvent.keyDown(document.activeElement!, { key: ' ' });
    expect(model.selected.map(f => f.name)).toEqual(['damson']);
    expect(rows()[3].getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(document.activeElement!, { key: 'Enter' });
    expect(onOpen).toHaveBeenCalledWith(FRUITS[3]);
    fireEvent.keyDown(document.activeElement!, { key: 'Home' });
    expect(document.activeElement).toBe(rows()[0]);
    fireEvent.keyDown(document.activeElement!, { key: 'a', ctrlKey: true });
    expect(model.selected).toHaveLength(5);
    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(model.selected).toHaveLength(0);
    model.dispose();
  });

  it('reads a list made ahead of time only once it is shown', async () => {
    const model = new FruitsModel({ auto: false });
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(model.queries).toHaveLength(0);
    render(<EntityList model={model} label="Fruits" columns={columns} onOpen={jest.fn()} />);
    await act(async () => {
      await new Promise(resolve => setTimeout(resolve, 20));
    });
    expect(model.queries).toHaveLength(1);
    expect(rowNames()).toHaveLength(5);
    model.dispose();
  });

  it('shows the error of the last fetch', async () => {
    const model = new FruitsModel({ auto: false });
    jest.spyOn(model as any, 'fetchPage').mockRejectedValue(new Error('database is locked'));
    render(<EntityList model={model} label="Fruits" columns={columns} onOpen={jest.fn()} />);
    await act(() => model.refresh());
    expect(screen.getByRole('alert').textContent).toBe('database is locked');
    model.dispose();
  });
});
