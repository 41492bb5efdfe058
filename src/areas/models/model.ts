import { IDisposable } from '@lumino/disposable';

import * as api from '../../api/client';
import type { ModelRegister, ModelVersion, RegisteredModel } from '../../api/client';
import { PolledModel } from '../../models/base';
import { ServiceEvent, ServiceEvents } from '../../models/events';
import { IListQuery, ListModel, fetchAll } from '../../models/list';
import { aliasError } from './forms';

/**
 * The Models area: registered models with their latest version and aliases, a
 * page at a time. Refreshed on model events, polled slowly otherwise.
 */
export class RegistryModel extends ListModel<RegisteredModel> {
  constructor(options: RegistryModel.IOptions = {}) {
    super({ name: 'mlservice:models', ...options });
    this._events = options.events ?? new ServiceEvents(null);
    this._subscription = this._events.on('model', () => void this.refresh().catch(() => undefined));
  }

  key(model: RegisteredModel): string {
    return model.name;
  }

  async register(body: Partial<ModelRegister> & { name: string }): Promise<ModelVersion> {
    const created = await api.registerModel(body);
    this._announce({ name: created.name, version: created.version, action: 'registered', alias: null });
    return created;
  }

  async setAlias(name: string, alias: string, version: string): Promise<ModelVersion> {
    const problem = aliasError(alias);
    if (problem) {
      throw new Error(problem);
    }
    const updated = await api.setModelAlias(name, alias, version);
    this._announce({ name, version, action: 'alias', alias });
    return updated;
  }

  async removeAlias(name: string, alias: string): Promise<void> {
    await api.deleteModelAlias(name, alias);
    this._announce({ name, version: null, action: 'alias', alias });
  }

  /** Every registered model (bounded), for pickers. */
  all(): Promise<RegisteredModel[]> {
    return fetchAll(query => api.listModels(query), 10);
  }

  /** A model with its versions (newest first), for pickers. */
  get(name: string): Promise<RegisteredModel> {
    return api.getModel(name);
  }

  /** The latest completed jobs: where a new version may come from. */
  async completedJobs(limit = 50): Promise<api.Job[]> {
    return (await api.listJobs({ status: 'Completed', limit })).items;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._subscription.dispose();
    super.dispose();
  }

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<RegisteredModel>> {
    return api.listModels({ limit: query.limit, cursor: query.cursor });
  }

  /** Tell every model (this list, an open model or version, Home) what changed here. */
  private _announce(event: ServiceEvent.IModel): void {
    this._events.emit('model', event);
  }

  private _events: ServiceEvents;
  private _subscription: IDisposable;
}

export namespace RegistryModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/** One registered model, open in its view: its versions (newest first) and aliases. */
export class ModelDetailModel extends PolledModel {
  constructor(options: ModelDetailModel.IOptions) {
    super({ name: `mlservice:model:${options.model}`, ...options });
    this.name = options.model;
    this._subscription = (options.events ?? new ServiceEvents(null)).on('model', event => {
      if (event.name === this.name) {
        void this.refresh().catch(() => undefined);
      }
    });
  }

  readonly name: string;

  get model(): RegisteredModel | null {
    return this._model;
  }

  get versions(): ReadonlyArray<ModelVersion> {
    return this._model?.versions ?? [];
  }

  /** True once the server said the model does not exist (deleted meanwhile). */
  get gone(): boolean {
    return this._gone;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._subscription.dispose();
    super.dispose();
  }

  protected async fetch(): Promise<void> {
    try {
      this._model = await api.getModel(this.name);
    } catch (error) {
      if ((error as api.MLServiceError).status === 404) {
        this._gone = true;
        this._model = null;
        return;
      }
      throw error;
    }
  }

  private _model: RegisteredModel | null = null;
  private _gone = false;
  private _subscription: IDisposable;
}

export namespace ModelDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    /** The registered model's name. */
    model: string;
    events?: ServiceEvents;
  }
}

/** One model version, open in its view: where it came from (job, run, experiment, code, params, metrics). */
export class VersionDetailModel extends PolledModel {
  constructor(options: VersionDetailModel.IOptions) {
    super({ name: `mlservice:model:${options.model}:${options.version}`, ...options });
    this.name = options.model;
    this.version = options.version;
    this._subscription = (options.events ?? new ServiceEvents(null)).on('model', event => {
      if (event.name === this.name) {
        void this.refresh().catch(() => undefined);
      }
    });
  }

  readonly name: string;
  readonly version: string;

  get modelVersion(): ModelVersion | null {
    return this._version;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._subscription.dispose();
    super.dispose();
  }

  protected async fetch(): Promise<void> {
    this._version = await api.getModelVersion(this.name, this.version);
  }

  private _version: ModelVersion | null = null;
  private _subscription: IDisposable;
}

export namespace VersionDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    model: string;
    version: string;
    events?: ServiceEvents;
  }
}
