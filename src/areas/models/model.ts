import type { IDisposable } from '@lumino/disposable';

import * as api from '../../api/client';
import type { Evaluation, ModelRegister, ModelVersion, RegisteredModel, Rollout } from '../../api/client';
import '../automation/events'; // the evaluation and rollout event kinds
import { promotionsOf } from '../automation/forms';
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
    this.own(this._events.on('model', () => void this.refresh().catch(() => undefined)));
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

  /** Delete a registered model and all its versions. */
  async remove(name: string): Promise<void> {
    await api.deleteModel(name);
    this.forget(name);
    this._announce({ name, version: null, action: 'deleted', alias: null });
  }

  async removeVersion(name: string, version: string): Promise<void> {
    await api.deleteModelVersion(name, version);
    this._announce({ name, version, action: 'deleted', alias: null });
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

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<RegisteredModel>> {
    return api.listModels({ limit: query.limit, cursor: query.cursor });
  }

  /** Tell every model (this list, an open model or version, Home) what changed here. */
  private _announce(event: ServiceEvent.IModel): void {
    this._events.emit('model', event);
  }

  private _events: ServiceEvents;
}

export namespace RegistryModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/** Refresh a model's views on its events. */
function refreshOnModel(model: PolledModel, events: ServiceEvents | undefined, name: string): IDisposable {
  return (events ?? new ServiceEvents(null)).on('model', event => {
    if (event.name === name) {
      void model.refresh().catch(() => undefined);
    }
  });
}

/** One registered model, open in its view: its versions (newest first) and aliases. */
export class ModelDetailModel extends PolledModel {
  constructor(options: ModelDetailModel.IOptions) {
    super({ name: `mlservice:model:${options.model}`, ...options });
    this.name = options.model;
    this.own(refreshOnModel(this, options.events, options.model));
  }

  readonly name: string;

  get model(): RegisteredModel | null {
    return this._model;
  }

  get versions(): ReadonlyArray<ModelVersion> {
    return this._model?.versions ?? [];
  }

  protected async fetch(): Promise<void> {
    this._model = await this.unlessGone(() => api.getModel(this.name));
  }

  private _model: RegisteredModel | null = null;
}

export namespace ModelDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    /** The registered model's name. */
    model: string;
    events?: ServiceEvents;
  }
}

/**
 * One model version, open in its view: where it came from (job, run, experiment, code, params,
 * metrics), its evaluations against a baseline and its promotions (rollouts of it). Refreshed on
 * the model's events, on its evaluations' events and on rollout events.
 */
export class VersionDetailModel extends PolledModel {
  constructor(options: VersionDetailModel.IOptions) {
    super({ name: `mlservice:model:${options.model}:${options.version}`, ...options });
    this.name = options.model;
    this.version = options.version;
    const events = options.events ?? new ServiceEvents(null);
    const refresh = () => void this.refresh().catch(() => undefined);
    this.own(
      refreshOnModel(this, events, options.model),
      events.on('evaluation', event => (!event.candidate || event.candidate.startsWith(this.name)) && refresh()),
      events.on('rollout', event => (event.action === 'started' || this._promotions.some(r => r.id === event.id)) && refresh())
    );
  }

  readonly name: string;
  readonly version: string;

  get modelVersion(): ModelVersion | null {
    return this._version;
  }

  /** Evaluations of this version as the candidate, newest first. */
  get evaluations(): ReadonlyArray<Evaluation> {
    return this._evaluations;
  }

  /** Rollouts of this version to an endpoint, in-progress first. */
  get promotions(): ReadonlyArray<Rollout> {
    return this._promotions;
  }

  protected async fetch(): Promise<void> {
    // Evaluations and rollouts are extras: a server without them still shows the version.
    const [version, evaluations, rollouts] = await Promise.all([
      this.unlessGone(() => api.getModelVersion(this.name, this.version)),
      Promise.resolve()
        .then(() => api.listEvaluations({ model: this.name, version: this.version, limit: 50 }))
        .catch(() => null),
      Promise.resolve()
        .then(() => api.listRollouts({ limit: 100 }))
        .catch(() => null)
    ]);
    this._version = version;
    this._evaluations = evaluations?.items ?? [];
    this._promotions = promotionsOf(rollouts?.items ?? [], this.name, this.version);
  }

  private _version: ModelVersion | null = null;
  private _evaluations: Evaluation[] = [];
  private _promotions: Rollout[] = [];
}

export namespace VersionDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    model: string;
    version: string;
    events?: ServiceEvents;
  }
}
