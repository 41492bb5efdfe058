/** The register dialog's checks (from a job, a run or a path on the server), and aliases'. */
import type { ModelRegister, ModelVersion } from '../../api/client';
import { nameError } from '../../checks';
import { trans } from '../../translate';

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
  const problem = name ? nameError('model', name) : trans.__('A model name is required.');
  if (problem) {
    errors.name = problem;
  }
  const body: Partial<ModelRegister> & { name: string } = {
    name,
    description: form.description.trim(),
    tags: {}
  };
  const artifactPath = form.artifactPath.trim() || 'model';
  if (form.source === 'job') {
    if (!form.job.trim()) {
      errors.job = trans.__('Choose a completed job (its run holds the model).');
    }
    body.job_id = form.job.trim();
    body.path = artifactPath;
  } else if (form.source === 'run') {
    if (!/^[0-9a-f]{8,64}$/i.test(form.run.trim())) {
      errors.run = trans.__('Give an MLflow run id (32 hexadecimal characters).');
    }
    body.run_id = form.run.trim();
    body.path = artifactPath;
  } else {
    const local = form.localPath.trim();
    if (!local.startsWith('/')) {
      errors.localPath = trans.__('Give an absolute path on the server, e.g. /data/models/iris.');
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
  const problem = nameError('alias', alias);
  if (problem) {
    return problem;
  }
  if (alias.toLowerCase() === 'latest') {
    return trans.__('"latest" is reserved: a reference without version or alias already means the latest.');
  }
  return null;
}

/** A version's reference as deployments and the SDK write it: `iris:3`. */
export function versionRef(version: Pick<ModelVersion, 'name' | 'version'>): string {
  return `${version.name}:${version.version}`;
}
