import type { NotebookJobSpec } from '../api/client';

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

/** The form pre-filled for a notebook and its parsed parameters. */
export function initialSubmitForm(
  notebook: string,
  parameters: Record<string, unknown>,
  targets: ReadonlyArray<string>
): ISubmitForm {
  return {
    notebook,
    target: targets.includes('local') ? 'local' : (targets[0] ?? ''),
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
    errors.notebook = 'Save the notebook first.';
  }
  if (!form.target) {
    errors.target = 'Create a compute target first, or choose one.';
  } else if (targets.length > 0 && !targets.includes(form.target)) {
    errors.target = `Unknown target "${form.target}".`;
  }
  const experiment = form.experiment.trim();
  if (!experiment) {
    errors.experiment = 'An experiment name is required.';
  } else if (experiment.length > 256) {
    errors.experiment = 'Use at most 256 characters.';
  }
  let parameters: Record<string, unknown> = {};
  if (form.parameters.trim()) {
    try {
      const parsed = JSON.parse(form.parameters);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        errors.parameters = 'Parameters must be a JSON object, e.g. {"alpha": 0.5}.';
      } else {
        parameters = parsed;
      }
    } catch (error) {
      errors.parameters = `Parameters are not valid JSON: ${(error as Error).message}`;
    }
  }
  let timeout: number | null = null;
  if (form.timeout.trim()) {
    timeout = Number(form.timeout);
    if (!Number.isFinite(timeout) || timeout <= 0) {
      errors.timeout = 'The timeout is a number of seconds above 0, or empty for none.';
    }
  }
  const retries = Number(form.maxRetries || '0');
  if (!Number.isInteger(retries) || retries < 0 || retries > 20) {
    errors.maxRetries = 'Retries is a whole number from 0 to 20.';
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
