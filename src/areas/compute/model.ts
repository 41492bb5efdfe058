import * as api from '../api/client';
import type { Target, TargetCreate } from '../api/client';
import { JobEvents } from './events';
import { PolledModel } from './base';

/** What the target form may hold before it is validated. */
export interface ITargetForm {
  name: string;
  type: string;
  description: string;
  /** JSON text of the type-specific settings. */
  settings: string;
}

export type TargetFormErrors = Partial<Record<keyof ITargetForm, string>>;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Check a target form before anything is sent; returns the body to send, or
 * the errors to show next to each field.
 */
export function validateTargetForm(
  form: ITargetForm,
  existing: ReadonlyArray<string> = []
): { body?: TargetCreate; errors: TargetFormErrors } {
  const errors: TargetFormErrors = {};
  const name = form.name.trim();
  if (!name) {
    errors.name = 'A name is required.';
  } else if (!NAME_PATTERN.test(name)) {
    errors.name =
      'Use 1-64 letters, digits, "_", "." or "-", starting with a letter or digit.';
  } else if (existing.includes(name)) {
    errors.name = `A target named "${name}" already exists.`;
  }
  if (!form.type.trim()) {
    errors.type = 'Choose a type.';
  }
  let settings: Record<string, unknown> = {};
  const text = form.settings.trim();
  if (text) {
    try {
      const parsed = JSON.parse(text);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        errors.settings = 'Settings must be a JSON object, e.g. {"max_concurrency": 2}.';
      } else {
        settings = parsed;
      }
    } catch (error) {
      errors.settings = `Settings are not valid JSON: ${(error as Error).message}`;
    }
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  return {
    errors,
    body: {
      name,
      type: form.type.trim(),
      description: form.description.trim(),
      settings
    }
  };
}

/** Compute targets with their capacity and running/queued counts. */
export class TargetsModel extends PolledModel {
  constructor(options: TargetsModel.IOptions = {}) {
    super({ interval: 15000, name: 'mlservice:targets', ...options });
    this._events = options.events ?? null;
    // Running/queued counts move with job state changes.
    this._events?.changed.connect(this._onJobEvent, this);
  }

  get items(): ReadonlyArray<Target> {
    return this._items;
  }

  /** Backend types the server offers (from /info), for the create form. */
  get backends(): ReadonlyArray<string> {
    return this._backends;
  }

  async create(body: TargetCreate): Promise<Target> {
    const target = await api.createTarget(body);
    await this.refresh();
    return target;
  }

  async remove(name: string): Promise<void> {
    await api.deleteTarget(name);
    await this.refresh();
  }

  dispose(): void {
    this._events?.changed.disconnect(this._onJobEvent, this);
    super.dispose();
  }

  protected async fetch(): Promise<void> {
    const items: Target[] = [];
    let cursor: string | null | undefined = null;
    // A workspace has a handful of targets; follow cursors a bounded number of times.
    for (let i = 0; i < 20; i++) {
      const page: api.IPage<Target> = await api.listTargets({ limit: 100, cursor });
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) {
        break;
      }
    }
    this._items = items;
    if (this._backends.length === 0) {
      try {
        this._backends = (await api.getInfo()).backends ?? [];
      } catch {
        this._backends = [];
      }
    }
  }

  private _onJobEvent(): void {
    void this.refresh().catch(() => undefined);
  }

  private _items: Target[] = [];
  private _backends: string[] = [];
  private _events: JobEvents | null;
}

export namespace TargetsModel {
  export interface IOptions extends PolledModel.IOptions {
    events?: JobEvents | null;
  }
}
