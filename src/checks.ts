/**
 * Checks that several areas' forms share: names by the server's rules, whole numbers in a range,
 * JSON objects, model references. Pure functions, each returning what to change (or nothing).
 */
import { NameKind, namePattern } from './api/statuses';
import { trans } from './translate';

/** Why a name breaks the server's rule for its kind, or is taken; undefined when it is fine. */
export function nameError(kind: NameKind, name: string, existing: ReadonlyArray<string> = [], what?: string): string | undefined {
  if (!name) {
    return trans.__('A name is required.');
  }
  if (!namePattern(kind).test(name)) {
    switch (kind) {
      case 'endpoint':
      case 'deployment':
        return trans.__('Use 1-32 letters, digits or "-", starting with a letter.');
      case 'model':
      case 'data':
        return trans.__('Use letters, digits, "_", "." or "-" (at most 128), starting with a letter or digit.');
      case 'environment':
        return trans.__('Use 1-64 letters, digits, "_", "." or "-", starting with a letter.');
      case 'alias':
      case 'dataAlias':
        return trans.__('An alias starts with a letter and uses letters, digits, "_" or "-" (e.g. champion).');
      default:
        return trans.__('Use 1-64 letters, digits, "_", "." or "-", starting with a letter or digit.');
    }
  }
  if (existing.includes(name)) {
    return trans.__('A %1 named "%2" already exists.', what ?? kind, name);
  }
  return undefined;
}

/** The number in `text` when it is a whole number from `low` to `high`, else null. */
export function wholeNumber(text: string, low: number, high: number): number | null {
  const value = Number(text.trim());
  return text.trim() && Number.isInteger(value) && value >= low && value <= high ? value : null;
}

/** A JSON object from text ({} when blank), or what is wrong with it. */
export function jsonObject(text: string, example: string): { value?: Record<string, unknown>; error?: string } {
  if (!text.trim()) {
    return { value: {} };
  }
  try {
    const parsed = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { error: trans.__('Write a JSON object, e.g. %1.', example) };
    }
    return { value: parsed };
  } catch (error) {
    return { error: trans.__('This is not valid JSON: %1', (error as Error).message) };
  }
}

/** What is wrong with a model reference (`iris:3`, `iris@champion`, `iris`), if anything. */
export function modelRefError(ref: string): string | undefined {
  if (!ref) {
    return trans.__('Give a model reference, e.g. iris:1 or iris@champion.');
  }
  if (/:/.test(ref) && !/:\d+$/.test(ref)) {
    return trans.__('The version after ":" must be a number (e.g. iris:3).');
  }
  return undefined;
}
