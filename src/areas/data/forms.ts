/** The Data area's dialogs' checks: register a file or folder as a data asset, name an alias. */
import type { DataCreate } from '../../api/client';
import { nameError } from '../../checks';
import { trans } from '../../translate';

/** How a file or folder becomes a version: snapshotted into the data store, or kept in place. */
export type RegisterMode = 'copy' | 'reference';

/** The register dialog's fields, as text, before validation. */
export interface IRegisterDataForm {
  name: string;
  /** The file or folder, relative to the server's root (as the file browser names it). */
  path: string;
  description: string;
  mode: RegisterMode;
}

export type RegisterDataFormErrors = Partial<Record<keyof IRegisterDataForm, string>>;

/** A data asset name from a file's or folder's name: `data/Iris Flowers.csv` -> `Iris-Flowers`. */
export function suggestDataName(path: string): string {
  const base = path.replace(/\/+$/, '').split('/').pop() ?? '';
  const stem = base.includes('.') && !base.startsWith('.') ? base.slice(0, base.lastIndexOf('.')) : base;
  const cleaned = stem
    .replace(/[^A-Za-z0-9_.-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/-+$/, '')
    .slice(0, 128);
  return cleaned;
}

export function initialRegisterDataForm(path: string): IRegisterDataForm {
  return { name: suggestDataName(path), path, description: '', mode: 'copy' };
}

/**
 * Check the register form; returns the body to send, or the errors to show. A name that is
 * already an asset is fine: registering adds a version to it.
 */
export function validateRegisterDataForm(
  form: IRegisterDataForm
): { body?: Partial<DataCreate> & { name: string }; errors: RegisterDataFormErrors } {
  const errors: RegisterDataFormErrors = {};
  const name = form.name.trim();
  const problem = nameError('data', name);
  if (problem) {
    errors.name = problem;
  }
  const path = form.path.trim();
  if (!path) {
    errors.path = trans.__('Choose a file or folder in the file browser.');
  }
  if (form.mode !== 'copy' && form.mode !== 'reference') {
    errors.mode = trans.__('Choose copy or reference.');
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  return { errors, body: { name, path, description: form.description.trim(), mode: form.mode } };
}

/** What registering under this name does: a new asset, or a new version of an existing one. */
export function registerHint(name: string, existing: ReadonlyArray<string>): string {
  return existing.includes(name.trim())
    ? trans.__('"%1" exists: this adds a version to it (identical content returns the existing version).', name.trim())
    : trans.__('A new data asset, version 1.');
}

/** Check a data alias before it is sent (the server says the same, later). */
export function dataAliasError(alias: string): string | undefined {
  if (!alias) {
    return trans.__('An alias is required (e.g. prod).');
  }
  return nameError('dataAlias', alias);
}

/** A version's reference as jobs take it: `data:iris@2`. */
export function dataRef(version: { name: string; version: string | number }): string {
  return `data:${version.name}@${version.version}`;
}

/** The studio path of an asset or one of its versions. */
export function dataPath(name: string, version?: string | number): string {
  const asset = `data/${encodeURIComponent(name)}`;
  return version === undefined ? asset : `${asset}/${encodeURIComponent(String(version))}`;
}
