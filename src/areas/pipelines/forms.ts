/**
 * Pure checks of the Pipelines area's dialogs (no API, no JupyterLab): which files are pipeline
 * files, and the step a run is rerun from.
 */
import { trans } from '../../translate';

/** The file names the graph view opens: `*.pipeline.yaml` (or `.yml`). */
export function isPipelineFile(path: string | null | undefined): boolean {
  return !!path && /\.pipeline\.ya?ml$/i.test(path.trim());
}

/** What the rerun picker offers: every step from the first (all steps), then each step. */
export const ALL_STEPS = '';

/** The rerun dialog's choices, labelled: "all steps" first, then the run's steps as listed. */
export function rerunChoices(steps: ReadonlyArray<string>): { label: string; value: string }[] {
  return [{ label: trans.__('(every step, reusing nothing)'), value: ALL_STEPS }, ...steps.map(s => ({ label: s, value: s }))];
}

/**
 * The `from_step` to send for a choice: null for every step; an error when the run has no such
 * step (the server would say so with a 400; the dialog says it first).
 */
export function validateFromStep(
  choice: string | null | undefined,
  steps: ReadonlyArray<string>
): { fromStep: string | null; error: string | null } {
  const step = (choice ?? '').trim();
  if (step === ALL_STEPS) {
    return { fromStep: null, error: null };
  }
  if (!steps.includes(step)) {
    return { fromStep: null, error: trans.__('The run has no step "%1" (steps: %2).', step, steps.join(', ')) };
  }
  return { fromStep: step, error: null };
}
