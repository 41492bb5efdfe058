import type { Job, Target } from '../api/client';

export function target(overrides: Partial<Target> = {}): Target {
  return {
    name: 'local',
    type: 'local',
    description: '',
    settings: {},
    created_at: '2025-01-01T00:00:00Z',
    capacity: 2,
    running: 0,
    queued: 0,
    status: {},
    ...overrides
  } as Target;
}

export function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 'job1',
    kind: 'notebook',
    display_name: '',
    status: 'Running',
    target: 'local',
    experiment: 'Default',
    experiment_id: '1',
    run_id: 'run1',
    attempt: 1,
    max_retries: 0,
    timeout_s: null,
    exit_code: null,
    error: null,
    git_commit: null,
    tags: {},
    spec: {},
    attempts: [],
    created_at: '2025-01-01T00:00:00Z',
    started_at: null,
    ended_at: null,
    duration_s: 1.5,
    backend: {},
    ...overrides
  } as Job;
}
