/**
 * The submit dialog's checks: a notebook as a job (target, experiment,
 * parameters, timeout, retries). The schedule dialog builds its job with them too.
 */
import type { NotebookJobSpec } from '../../api/client';
import { FIELD_BOUNDS } from '../../api/statuses';
import { jsonObject } from '../../checks';
import { trans } from '../../translate';

/** The bounds the server puts on a notebook job's fields. */
const FIELDS = FIELD_BOUNDS.NotebookJobSpec;

/** The submit dialog's fields, as text, before validation. */
export interface ISubmitForm {
  notebook: string;
  target: string;
  experiment: string;
  displayName: string;
  /** JSON object text. */
  parameters: string;
  /** Seconds, or empty for no timeout. */
  timeout: string;
  maxRetries: string;
}

export type SubmitFormErrors = Partial<Record<keyof ISubmitForm, string>>;

/** A sensible experiment name for a notebook: its file name without `.ipynb`. */
export function defaultExperiment(path: string): string {
  const base = path.split('/').pop() ?? path;
  return base.replace(/\.ipynb$/i, '') || 'Default';
}

/** The form pre-filled for a notebook and its parsed parameters, on the preferred target if it exists. */
export function initialSubmitForm(
  notebook: string,
  parameters: Record<string, unknown>,
  targets: ReadonlyArray<string>,
  preferred = 'local'
): ISubmitForm {
  const target = [preferred, 'local'].find(t => targets.includes(t)) ?? targets[0] ?? '';
  return {
    notebook,
    target,
    experiment: defaultExperiment(notebook),
    displayName: '',
    parameters: JSON.stringify(parameters, null, 2),
    timeout: '',
    maxRetries: '0'
  };
}

/** Check the form; returns the job spec to send, or the errors to show. */
export function validateSubmitForm(
  form: ISubmitForm,
  targets: ReadonlyArray<string>
): { spec?: Partial<NotebookJobSpec> & { kind: 'notebook' }; errors: SubmitFormErrors } {
  const errors: SubmitFormErrors = {};
  if (!form.notebook.trim()) {
    errors.notebook = trans.__('Save the notebook first.');
  }
  if (!form.target) {
    errors.target = trans.__('Create a compute target first, or choose one.');
  } else if (targets.length > 0 && !targets.includes(form.target)) {
    errors.target = trans.__('Unknown target "%1".', form.target);
  }
  const experiment = form.experiment.trim();
  if (!experiment) {
    errors.experiment = trans.__('An experiment name is required.');
  } else if (experiment.length > FIELDS.experiment.maxLength) {
    errors.experiment = trans.__('Use at most %1 characters.', FIELDS.experiment.maxLength);
  }
  const checked = jsonObject(form.parameters, '{"alpha": 0.5}');
  if (checked.error) {
    errors.parameters = trans.__('Parameters: %1', checked.error);
  }
  const parameters = checked.value ?? {};
  let timeout: number | null = null;
  if (form.timeout.trim()) {
    timeout = Number(form.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) {
      errors.timeout = trans.__('The timeout is a number of seconds above 0, or empty for none.');
    }
  }
  const retries = Number(form.maxRetries || '0');
  const { minimum, maximum } = FIELDS.max_retries;
  if (!Number.isInteger(retries) || retries < minimum || retries > maximum) {
    errors.maxRetries = trans.__('Retries is a whole number from %1 to %2.', minimum, maximum);
  }
  if (Object.keys(errors).length > 0) {
    return { errors };
  }
  const spec: Partial<NotebookJobSpec> & { kind: 'notebook' } = {
    kind: 'notebook',
    notebook: form.notebook.trim(),
    target: form.target,
    experiment,
    parameters,
    max_retries: retries
  };
  if (form.displayName.trim()) {
    spec.display_name = form.displayName.trim();
  }
  if (timeout !== null) {
    spec.timeout_s = timeout;
  }
  return { spec, errors };
}
