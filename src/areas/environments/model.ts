import * as api from '../../api/client';
import type { Environment, EnvironmentCreate } from '../../api/client';
import { PolledModel } from '../../models/base';
import { ServiceEvents, addEventKind } from '../../models/events';
import { IListQuery, ListModel } from '../../models/list';

/** What the server says when an environment changes (`.../jupyter_mlservice/environment`, version 1). */
export interface IEnvironmentEvent {
  name: string;
  version: number;
  action: 'created' | 'built' | 'build_failed';
  state?: string;
}

declare module '../../models/events' {
  interface IServiceEventMap {
    environment: IEnvironmentEvent;
  }
}
addEventKind('environment', 'name');

/** The Environments area: the latest version of each environment. Refreshed on environment events. */
export class EnvironmentsModel extends ListModel<Environment> {
  constructor(options: EnvironmentsModel.IOptions = {}) {
    super({ name: 'mlservice:environments', ...options });
    this._events = options.events ?? new ServiceEvents(null);
    this.own(this._events.on('environment', () => void this.refresh().catch(() => undefined)));
  }

  key(env: Environment): string {
    return env.name;
  }

  async create(body: Partial<EnvironmentCreate> & { name: string }): Promise<Environment> {
    const env = await api.createEnvironment(body);
    this._events.emit('environment', { name: env.name, version: env.version, action: 'created', state: env.state });
    return env;
  }

  /** Build a version; resolves once built (a failure rejects with the server's message, naming the requirement). */
  build(name: string, version: number): Promise<Environment> {
    return api.buildEnvironment(`${name}@${version}`);
  }

  protected fetchPage(query: IListQuery<Record<string, string | null>>): Promise<api.IPage<Environment>> {
    return api.listEnvironments({ limit: query.limit, cursor: query.cursor });
  }

  private _events: ServiceEvents;
}

export namespace EnvironmentsModel {
  export interface IOptions extends ListModel.IOptions {
    events?: ServiceEvents;
  }
}

/** One environment, open in its view: every version, newest first. */
export class EnvironmentDetailModel extends PolledModel {
  constructor(options: EnvironmentDetailModel.IOptions) {
    super({ name: `mlservice:environment:${options.environment}`, ...options });
    this.name = options.environment;
    const events = options.events ?? new ServiceEvents(null);
    this.own(events.on('environment', e => e.name === this.name && void this.refresh().catch(() => undefined)));
  }

  readonly name: string;

  get versions(): ReadonlyArray<Environment> {
    return this._versions;
  }

  protected async fetch(): Promise<void> {
    const latest = await this.unlessGone(() => api.getEnvironment(this.name));
    this._versions = latest ? (await api.listEnvironments({ name: this.name, limit: 100 })).items : [];
  }

  private _versions: Environment[] = [];
}

export namespace EnvironmentDetailModel {
  export interface IOptions extends PolledModel.IOptions {
    environment: string;
    events?: ServiceEvents;
  }
}

/**
 * One environment version: its requirements, lock, state and build log. Reads every 2 s while it
 * builds, and stops once it is settled (built or failed, the whole log read, or not built at all);
 * `watch()` starts it again (after "Build"), and so does an event about it.
 */
export class EnvironmentVersionModel extends PolledModel {
  constructor(options: EnvironmentVersionModel.IOptions) {
    super({ interval: 2000, maxInterval: 10000, name: `mlservice:environment:${options.environment}@${options.version}`, ...options });
    this.name = options.environment;
    this.version = options.version;
    const events = options.events ?? new ServiceEvents(null);
    this.own(events.on('environment', e => e.name === this.name && String(e.version) === this.version && this.watch()));
  }

  /** Read again now and every 2 s until the version is settled. */
  watch(): void {
    this._settled = false;
    void this.poll
      .start()
      .then(() => this.refresh())
      .catch(() => undefined);
  }

  readonly name: string;
  readonly version: string;

  get environment(): Environment | null {
    return this._env;
  }

  get log(): string {
    return this._log;
  }

  get logComplete(): boolean {
    return this._logComplete;
  }

  protected async fetch(): Promise<void> {
    if (this._settled) {
      return;
    }
    const env = await this.unlessGone(() => api.getEnvironment(`${this.name}@${this.version}`));
    this._env = env;
    if (env && env.state !== 'NotBuilt') {
      await this._readLog();
    }
    if (!env || (env.state !== 'Building' && (env.state === 'NotBuilt' || this._logComplete))) {
      this._settled = true;
      this.poll.stop().catch(() => undefined);
    }
  }

  private async _readLog(): Promise<void> {
    if (this._logComplete && this._env?.state !== 'Building') {
      return;
    }
    if (this._env?.state === 'Building' && this._logComplete) {
      // A new build: its log starts again.
      this._log = '';
      this._offset = 0;
    }
    for (let i = 0; i < 20; i++) {
      const chunk = await api.getEnvironmentLogs(`${this.name}@${this.version}`, this._offset);
      this._log += chunk.text;
      const advanced = chunk.offset > this._offset;
      this._offset = chunk.offset;
      this._logComplete = chunk.complete;
      if (chunk.complete || !advanced || chunk.offset >= chunk.size) {
        break;
      }
    }
  }

  private _env: Environment | null = null;
  private _log = '';
  private _offset = 0;
  private _logComplete = false;
  private _settled = false;
}

export namespace EnvironmentVersionModel {
  export interface IOptions extends PolledModel.IOptions {
    environment: string;
    version: string;
    events?: ServiceEvents;
  }
}
