/** The create-environment dialog's checks: a name by the server's rule, requirements one per line. */
import type { EnvironmentCreate } from '../../api/client';
import { nameError } from '../../checks';
import { trans } from '../../translate';

/** The create dialog's fields, as text, before validation. */
export interface IEnvironmentForm {
  name: string;
  description: string;
  /** pip requirements, one per line (`scikit-learn==1.5.2`, `numpy<2`). */
  requirements: string;
  /** Build it now, in the background (else the first job that uses it builds it). */
  build: boolean;
}

export type EnvironmentFormErrors = Partial<Record<keyof IEnvironmentForm, string>>;

export function initialEnvironmentForm(): IEnvironmentForm {
  return { name: '', description: '', requirements: '', build: true };
}

/** Requirement lines: blank lines and `#` comments dropped; pip options are not requirements. */
export function requirementLines(text: string): { lines: string[]; error?: string } {
  const lines = text
    .split('\n')
    .map(line => line.replace(/\s+#.*$/, '').trim())
    .filter(line => line && !line.startsWith('#'));
  const option = lines.find(line => line.startsWith('-'));
  if (option) {
    return { lines, error: trans.__('"%1" is a pip option; list packages only (e.g. scikit-learn==1.5.2).', option) };
  }
  return { lines };
}

/** Check the create form; returns the body to send, or the errors to show. */
export function validateEnvironmentForm(
  form: IEnvironmentForm
): { body?: Partial<EnvironmentCreate> & { name: string }; errors: EnvironmentFormErrors } {
  const errors: EnvironmentFormErrors = {};
  const name = form.name.trim();
  const problem = nameError('environment', name);
  if (problem) {
    errors.name = problem;
  }
  const requirements = requirementLines(form.requirements);
  if (requirements.error) {
    errors.requirements = requirements.error;
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  return {
    errors,
    body: { name, description: form.description.trim(), requirements: requirements.lines, build: form.build }
  };
}

/** The studio path of an environment or one of its versions. */
export function environmentPath(name: string, version?: string | number): string {
  const env = `environments/${encodeURIComponent(name)}`;
  return version === undefined ? env : `${env}/${encodeURIComponent(String(version))}`;
}
