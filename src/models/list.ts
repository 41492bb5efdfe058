import type { IPage } from '../api/client';
import { PolledModel } from './base';

/** A list's order: a column id and its direction. */
export interface ISort {
  column: string;
  descending: boolean;
}

/** What a list asks the server for, one page at a time. */
export interface IListQuery<F> {
  filter: Readonly<F>;
  /** Sent only where the server searches (`ListModel.searchesOnServer`). */
  search: string;
  /** Sent only when the server sorts on that column (`ListModel.serverSorts`). */
  sort: ISort | null;
  cursor: string | null;
  limit: number;
}

/** Filter values: a string, or null for "any". */
export type ListFilter = Record<string, string | null>;

/**
 * One area's entities as a list: a page at a time by cursor, filtered, searched,
 * sorted, with a selection that multi-select actions act on. Subclasses say how
 * to fetch a page and what identifies an item; the `EntityList` view renders it.
 *
 * Sorting and searching happen on the server where it can (a subclass lists the
 * columns it sorts on and whether it searches); otherwise on the page shown.
 */
export abstract class ListModel<T, F extends ListFilter = ListFilter> extends PolledModel {
  constructor(options: ListModel.IOptions<F> = {}) {
    super(options);
    this.pageSize = options.pageSize ?? 25;
    this._filter = { ...(options.filter ?? {}) } as unknown as F;
    this._sort = options.sort ?? null;
  }

  readonly pageSize: number;

  /** What identifies an item (its id or name): selection, links and React keys use it. */
  abstract key(item: T): string;

  /** The page as the server answered it (the view sorts and searches it where the server does not). */
  get items(): ReadonlyArray<T> {
    return this._items;
  }

  get filter(): Readonly<F> {
    return this._filter;
  }

  get search(): string {
    return this._search;
  }

  get sort(): ISort | null {
    return this._sort;
  }

  /** Columns the server sorts on; any other sorts the page shown. */
  get serverSorts(): ReadonlySet<string> {
    return NO_COLUMNS;
  }

  /** Whether the server applies the search (else the view filters the page shown). */
  get searchesOnServer(): boolean {
    return false;
  }

  /** Zero-based page number. */
  get page(): number {
    return this._cursors.length - 1;
  }

  get hasNext(): boolean {
    return !!this._nextCursor;
  }

  get hasPrevious(): boolean {
    return this._cursors.length > 1;
  }

  /** The selected items, in the order they were picked (kept across pages). */
  get selected(): ReadonlyArray<T> {
    return [...this._selection.values()];
  }

  isSelected(item: T | string): boolean {
    return this._selection.has(typeof item === 'string' ? item : this.key(item));
  }

  /** Select or unselect items (default: flip each). */
  select(items: ReadonlyArray<T>, on?: boolean): void {
    for (const item of items) {
      const key = this.key(item);
      const wanted = on ?? !this._selection.has(key);
      if (wanted) {
        this._selection.set(key, item);
      } else {
        this._selection.delete(key);
      }
    }
    this.emitChanged();
  }

  clearSelection(): void {
    if (this._selection.size > 0) {
      this._selection.clear();
      this.emitChanged();
    }
  }

  /** Change the filter and go back to the first page. */
  async setFilter(patch: Partial<F>): Promise<void> {
    this._filter = { ...this._filter, ...patch };
    this._cursors = [null];
    this.emitChanged();
    await this.refresh();
  }

  async setSearch(text: string): Promise<void> {
    if (text === this._search) {
      return;
    }
    this._search = text;
    this.emitChanged();
    if (this.searchesOnServer) {
      this._cursors = [null];
      await this.refresh();
    }
  }

  async setSort(sort: ISort | null): Promise<void> {
    const before = this._sort;
    this._sort = sort;
    this.emitChanged();
    const server = this.serverSorts;
    if ((sort && server.has(sort.column)) || (before && server.has(before.column))) {
      this._cursors = [null];
      await this.refresh();
    }
  }

  async nextPage(): Promise<void> {
    if (!this._nextCursor) {
      return;
    }
    this._cursors.push(this._nextCursor);
    this.emitChanged();
    await this.refresh();
  }

  async previousPage(): Promise<void> {
    if (this._cursors.length <= 1) {
      return;
    }
    this._cursors.pop();
    this.emitChanged();
    await this.refresh();
  }

  /** Back to the first page (e.g. after creating an item, which lists first). */
  async firstPage(): Promise<void> {
    this._cursors = [null];
    await this.refresh();
  }

  /** The item on the page with this key, if shown. */
  find(key: string): T | undefined {
    return this._items.find(item => this.key(item) === key);
  }

  /** Show an item as an action answered it, until the next fetch. */
  protected replace(item: T): void {
    const key = this.key(item);
    this._items = this._items.map(i => (this.key(i) === key ? item : i));
    if (this._selection.has(key)) {
      this._selection.set(key, item);
    }
    this.emitChanged();
  }

  /** Forget an item the user just deleted (from the page and the selection). */
  protected forget(key: string): void {
    this._items = this._items.filter(i => this.key(i) !== key);
    this._selection.delete(key);
    this.emitChanged();
  }

  protected abstract fetchPage(query: IListQuery<F>): Promise<IPage<T>>;

  protected async fetch(): Promise<void> {
    const sort = this._sort && this.serverSorts.has(this._sort.column) ? this._sort : null;
    const page = await this.fetchPage({
      filter: this._filter,
      search: this.searchesOnServer ? this._search : '',
      sort,
      cursor: this._cursors[this._cursors.length - 1],
      limit: this.pageSize
    });
    this._items = page.items;
    this._nextCursor = page.next_cursor ?? null;
    // Selected items on this page show their latest state to the actions.
    for (const item of this._items) {
      const key = this.key(item);
      if (this._selection.has(key)) {
        this._selection.set(key, item);
      }
    }
    await this.afterFetch();
  }

  /** Read what the page needs beyond the list itself (progress, figures...). */
  protected async afterFetch(): Promise<void> {
    // nothing by default
  }

  protected setItems(items: T[]): void {
    this._items = items;
  }

  private _items: T[] = [];
  private _filter: F;
  private _search = '';
  private _sort: ISort | null;
  private _cursors: (string | null)[] = [null];
  private _nextCursor: string | null = null;
  private _selection = new Map<string, T>();
}

const NO_COLUMNS: ReadonlySet<string> = new Set();

export namespace ListModel {
  export interface IOptions<F extends ListFilter = ListFilter> extends PolledModel.IOptions {
    pageSize?: number;
    filter?: Partial<F>;
    sort?: ISort | null;
  }
}

/** Every item of a small collection (targets, endpoint names), following cursors a bounded number of times. */
export async function fetchAll<T>(
  list: (query: { limit: number; cursor: string | null }) => Promise<IPage<T>>,
  maxPages = 20
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const page: IPage<T> = await list({ limit: 100, cursor });
    items.push(...page.items);
    cursor = page.next_cursor ?? null;
    if (!cursor) {
      break;
    }
  }
  return items;
}
