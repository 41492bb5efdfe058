import type { IDisposable } from '@lumino/disposable';

import * as api from '../../api/client';
import type { DataAsset, DataCreate, DataLineage, DataProfile, DataVersion } from '../../api/client';
import { PolledModel } from '../../models/base';
import { ServiceEvents, addEventKind } from '../../models/events';
import { IListQuery, ListModel, fetchAll } from '../../models/list';
import { dataAliasError } from './forms';

/** What the server says when a data asset changes (`.../jupyter_mlservice/data`, version 1). */
export interface IDataEvent {
  name: string;
  version: number | null;
  action: 'registered' | 'updated' | 'archived' | 'restored' | 'alias' | 'profile';
  alias: string | null;
  status: string | null;
}

declare module '../../models/events' {
  interface IServiceEventMap {
    data: IDataEvent;
  }
}
addEventKind('data', 'name');

/** Every data asset's name (archived ones too), for the register dialog's hint. */
export async function dataAssetNames(): Promise<string[]> {
  return (await fetchAll(query => api.listDataAssets({ ...query, include_archived: true }), 10)).map(a => a.name);
}

/**
 * The Data area: data assets with their latest version and aliases, a page at a time (archived
 * assets are left out). Refreshed on data events, polled slowly otherwise.
 */
export class DataModel extends ListModel<DataAsset> {
  constructor(options: DataModel.IOptions = {}) {
    super({ name: 'mlservice:data', ...options });
    this._events = options.events ?? new ServiceEvents(null);
    this.own(this._events.on('data', () => void this.refresh().catch(() => undefined)));
  }

  key(asset: DataAsset): string {
    return asset.name;
  }

  /** Register a file or folder (a new asset, or a new version of one). */
  async register(body: Partial<DataCreate> & { name: string }): Promise<DataVersion> {
    const version = await api.createDataVersion(body);
    if (!version.deduplicated) {
      this._announce({ name: version.name, version: version.version, action: 'registered' });
    }
    return version;
  }

  /** Archive an asset (hidden from lists and from "latest"; its records stay) or restore it. */
  async setArchived(name: string, archived: boolean): Promise<DataAsset> {
    const asset = await api.updateDataAsset(name, { archived });
    if (archived) {
      this.forget(name);
    }
    this._announce({ name, version: null, action: archived ? 'archived' : 'restored' });
    return asset;
  }

  async setVersionArchived(name: string, version: number, archived: boolean): Promise<DataVersion> {
    const updated = await api.updateDataVersion(name, version, { archived });
    this._announce({ name, version, action: archived ? 'archived' : 'restored' });
    return updated;
  }

  async setAlias(name: string, alias: string, version: number): Promise<DataVersion> {
    const problem = dataAliasError(alias);
    if (problem) {
      throw new Error(problem);
    }
    const updated = await api.setDataAlias(name, alias, version);
    this._announce({ name, version, action: 'alias', alias });
    return updated;
  }

  async removeAlias(name: string, alias: string): Promise<void> {
    await api.deleteDataAlias(name, alias);
    this._announce({ name, version: null, action: 'alias', alias });
  }

  /** Compute a version's profile again, in a job on `target`. */
  async computeProfile(name: string, version: number, target = 'local'): Promise<DataProfile> {
    const profile = await api.computeDataProfile(name, version, target);
    this._announce({ name, version, action: 'profile', status: profile.status });
    return profile;
  }

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<DataAsset>> {
    return api.listDataAssets({ limit: query.limit, cursor: query.cursor });
  }

  /** Tell every model (this list, an open asset or version) what changed here. */
  private _announce(event: Partial<IDataEvent> & Pick<IDataEvent, 'name' | 'action'>): void {
    this._events.emit('data', { version: null, alias: null, status: null, ...event });
  }

  private _events: ServiceEvents;
}

export namespace DataModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/** Refresh a model on its asset's data events. */
function refreshOnData(model: PolledModel, events: ServiceEvents | undefined, name: string): IDisposable {
  return (events ?? new ServiceEvents(null)).on('data', event => {
    if (event.name === name) {
      void model.refresh().catch(() => undefined);
    }
  });
}

/** One data asset, open in its view: what it is, its aliases and its versions (newest first). */
export class DataAssetDetailModel extends PolledModel {
  constructor(options: DataAssetDetailModel.IOptions) {
    super({ name: `mlservice:data:${options.asset}`, ...options });
    this.name = options.asset;
    this.own(refreshOnData(this, options.events, options.asset));
  }

  readonly name: string;

  get asset(): DataAsset | null {
    return this._asset;
  }

  /** The newest versions (a page of 100), archived ones included. */
  get versions(): ReadonlyArray<DataVersion> {
    return this._versions;
  }

  protected async fetch(): Promise<void> {
    this._asset = await this.unlessGone(() => api.getDataAsset(this.name));
    this._versions = this._asset ? (await api.listDataVersions(this.name, { limit: 100 })).items : [];
  }

  private _asset: DataAsset | null = null;
  private _versions: DataVersion[] = [];
}

export namespace DataAssetDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    asset: string;
    events?: ServiceEvents;
  }
}

/**
 * One data version, open in its view: its facts, its profile (histograms, the first 100 rows)
 * and its lineage (the job that wrote it, the jobs that read it, the models and deployments
 * made from them). Reads again on its asset's events, and every few seconds while the profile
 * is being computed.
 */
export class DataVersionDetailModel extends PolledModel {
  constructor(options: DataVersionDetailModel.IOptions) {
    super({ name: `mlservice:data:${options.asset}:${options.version}`, ...options });
    this.name = options.asset;
    this.version = options.version;
    this.own(refreshOnData(this, options.events, options.asset));
  }

  readonly name: string;
  readonly version: string;

  get dataVersion(): DataVersion | null {
    return this._version;
  }

  /** The stored profile, or null while none was asked for. */
  get profile(): DataProfile | null {
    return this._profile;
  }

  get lineage(): DataLineage | null {
    return this._lineage;
  }

  protected async fetch(): Promise<void> {
    const version = await this.unlessGone(() => api.getDataVersion(this.name, this.version));
    this._version = version;
    if (!version) {
      return;
    }
    const [profile, lineage] = await Promise.all([
      version.profile_status ? api.getDataProfile(this.name, version.version) : Promise.resolve(null),
      api.getDataLineage(this.name, version.version)
    ]);
    this._profile = profile;
    this._lineage = lineage;
  }

  private _version: DataVersion | null = null;
  private _profile: DataProfile | null = null;
  private _lineage: DataLineage | null = null;
}

export namespace DataVersionDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    asset: string;
    /** A version number (aliases resolve to one before a view opens). */
    version: string;
    events?: ServiceEvents;
  }
}
