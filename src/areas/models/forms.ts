import * as api from '../api/client';
import type { ModelRegister, ModelVersion, RegisteredModel } from '../api/client';
import { PolledModel } from './base';

// ---- the register form -------------------------------------------------------------------

/** Where a new model version comes from. */
export type RegisterSource = 'job' | 'run' | 'path';

/** The register dialog's fields, as text, before validation. */
export interface IRegisterForm {
  name: string;
  source: RegisterSource;
  /** A completed job's id (source `job`). */
  job: string;
  /** An MLflow run id (source `run`). */
  run: string;
  /** A file or folder on the server (source `path`). */
  localPath: string;
  /** The model's artifact path (or logged model name) inside the run. */
  artifactPath: string;
  description: string;
}

export type RegisterFormErrors = Partial<Record<keyof IRegisterForm, string>>;

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const ALIAS = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

export function initialRegisterForm(jobs: ReadonlyArray<string> = []): IRegisterForm {
  return {
    name: '',
    source: 'job',
    job: jobs[0] ?? '',
    run: '',
    localPath: '',
    artifactPath: 'model',
    description: ''
  };
}

/** Check the register form; returns the body to send, or the errors to show. */
export function validateRegisterForm(
  form: IRegisterForm
): { body?: Partial<ModelRegister> & { name: string }; errors: RegisterFormErrors } {
  const errors: RegisterFormErrors = {};
  const name = form.name.trim();
  if (!name) {
    errors.name = 'A model name is required.';
  } else if (!MODEL_NAME.test(name)) {
    errors.name = 'Use letters, digits, "_", "." or "-" (at most 128), starting with a letter or digit.';
  }
  const body: Partial<ModelRegister> & { name: string } = {
    name,
    description: form.description.trim(),
    tags: {}
  };
  const artifactPath = form.artifactPath.trim() || 'model';
  if (form.source === 'job') {
    if (!form.job.trim()) {
      errors.job = 'Choose a completed job (its run holds the model).';
    }
    body.job_id = form.job.trim();
    body.path = artifactPath;
  } else if (form.source === 'run') {
    if (!/^[0-9a-f]{8,64}$/i.test(form.run.trim())) {
      errors.run = 'Give an MLflow run id (32 hexadecimal characters).';
    }
    body.run_id = form.run.trim();
    body.path = artifactPath;
  } else {
    const local = form.localPath.trim();
    if (!local.startsWith('/')) {
      errors.localPath = 'Give an absolute path on the server, e.g. /data/models/iris.';
    }
    body.local_path = local;
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  return { errors, body };
}

/** Check an alias before it is sent (the server says the same, later). */
export function aliasError(alias: string): string | null {
  if (!ALIAS.test(alias)) {
    return 'An alias starts with a letter and uses letters, digits, "_" or "-" (e.g. champion).';
  }
  if (alias.toLowerCase() === 'latest') {
    return '"latest" is reserved: a reference without version or alias already means the latest.';
  }
  return null;
}

/** A version's reference as deployments and the SDK write it: `iris:3`. */
export function versionRef(version: Pick<ModelVersion, 'name' | 'version'>): string {
  return `${version.name}:${version.version}`;
}

// ---- the model ---------------------------------------------------------------------------

/**
 * Registered models; for the ones the user expands, their versions and
 * aliases; for the selected version, its lineage (run, job, params, metrics).
 */
export class RegistryModel extends PolledModel {
  constructor(options: PolledModel.IOptions = {}) {
    super({ interval: 15000, name: 'mlservice:models', ...options });
  }

  get items(): ReadonlyArray<RegisteredModel> {
    return this._items;
  }

  /** Names of the models whose versions are shown. */
  get expanded(): ReadonlyArray<string> {
    return [...this._expanded];
  }

  isExpanded(name: string): boolean {
    return this._expanded.has(name);
  }

  /** Versions of an expanded model, newest first (empty until loaded). */
  versions(name: string): ReadonlyArray<ModelVersion> {
    return this._versions.get(name) ?? [];
  }

  /** The version whose lineage is shown, with its lineage once loaded. */
  get selected(): { name: string; version: string } | null {
    return this._selected;
  }

  get selectedVersion(): ModelVersion | null {
    return this._selectedVersion;
  }

  async toggle(name: string, expanded?: boolean): Promise<void> {
    const on = expanded ?? !this._expanded.has(name);
    if (on) {
      this._expanded.add(name);
    } else {
      this._expanded.delete(name);
      this._versions.delete(name);
    }
    this.emitChanged();
    if (on) {
      await this.refresh();
    }
  }

  /** Show one version's lineage (null: hide it). */
  async select(name: string | null, version?: string): Promise<void> {
    if (name === null || version === undefined) {
      this._selected = null;
      this._selectedVersion = null;
      this.emitChanged();
      return;
    }
    this._selected = { name, version };
    this._selectedVersion = null;
    this._expanded.add(name);
    this.emitChanged();
    await this.refresh();
  }

  async register(body: Partial<ModelRegister> & { name: string }): Promise<ModelVersion> {
    const created = await api.registerModel(body);
    this._expanded.add(created.name);
    await this.refresh();
    return created;
  }

  async setAlias(name: string, alias: string, version: string): Promise<ModelVersion> {
    const problem = aliasError(alias);
    if (problem) {
      throw new Error(problem);
    }
    const updated = await api.setModelAlias(name, alias, version);
    await this.refresh();
    return updated;
  }

  async removeAlias(name: string, alias: string): Promise<void> {
    await api.deleteModelAlias(name, alias);
    await this.refresh();
  }

  protected async fetch(): Promise<void> {
    const items: RegisteredModel[] = [];
    let cursor: string | null | undefined = null;
    // Follow cursors a bounded number of times: the sidebar is no place for thousands.
    for (let i = 0; i < 10; i++) {
      const page: api.IPage<RegisteredModel> = await api.listModels({ limit: 100, cursor });
      items.push(...page.items);
      cursor = page.next_cursor;
      if (!cursor) {
        break;
      }
    }
    const names = new Set(items.map(m => m.name));
    for (const name of [...this._expanded]) {
      if (!names.has(name)) {
        this._expanded.delete(name);
        this._versions.delete(name);
      }
    }
    const details = await Promise.all(
      [...this._expanded].map(name => api.getModel(name))
    );
    this._items = items;
    for (const model of details) {
      this._versions.set(model.name, model.versions ?? []);
    }
    const selected = this._selected;
    if (selected) {
      if (!names.has(selected.name)) {
        this._selected = null;
        this._selectedVersion = null;
      } else {
        const version = await api.getModelVersion(selected.name, selected.version);
        // The user may have picked another version meanwhile.
        if (this._selected === selected) {
          this._selectedVersion = version;
        }
      }
    }
  }

  private _items: RegisteredModel[] = [];
  private _expanded = new Set<string>();
  private _versions = new Map<string, ModelVersion[]>();
  private _selected: { name: string; version: string } | null = null;
  private _selectedVersion: ModelVersion | null = null;
}
