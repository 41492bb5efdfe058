/** The create-target dialog's checks: a name by the server's rule, a type, settings as JSON. */
import type { TargetCreate } from '../../api/client';
import { jsonObject, nameError } from '../../checks';
import { trans } from '../../translate';

/** What the target form may hold before it is validated. */
export interface ITargetForm {
  name: string;
  type: string;
  description: string;
  /** JSON text of the type-specific settings. */
  settings: string;
}

export type TargetFormErrors = Partial<Record<keyof ITargetForm, string>>;

/**
 * Check a target form before anything is sent; returns the body to send, or
 * the errors to show next to each field.
 */
export function validateTargetForm(
  form: ITargetForm,
  existing: ReadonlyArray<string> = []
): { body?: TargetCreate; errors: TargetFormErrors } {
  const errors: TargetFormErrors = {};
  const name = form.name.trim();
  errors.name = nameError('target', name, existing, trans.__('target'));
  if (!form.type.trim()) {
    errors.type = trans.__('Choose a type.');
  }
  const settings = jsonObject(form.settings, '{"max_concurrency": 2}');
  if (settings.error) {
    errors.settings = trans.__('Settings: %1', settings.error);
  }
  if (!errors.name) {
    delete errors.name;
  }
  if (Object.keys(errors).length > 0 || !settings.value) {
    return { errors };
  }
  return { errors, body: { name, type: form.type.trim(), description: form.description.trim(), settings: settings.value } };
}
