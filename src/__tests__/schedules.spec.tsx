import { fireEvent, render, screen } from '@testing-library/react';
import * as React from 'react';

import * as api from '../api/client';
import { JobsModel } from '../areas/jobs/model';
import { jobColumns } from '../areas/jobs/view';
import { CronField, ScheduleForm, editScheduleDialog } from '../areas/schedules/dialog';
import {
  defaultScheduleName,
  initialScheduleForm,
  scheduleEditForm,
  validateScheduleEdit,
  validateScheduleForm
} from '../areas/schedules/forms';
import { ScheduleDetailModel, SchedulesModel } from '../areas/schedules/model';
import { IScheduleActions, ScheduleView, runLabel, scheduleColumns } from '../areas/schedules/view';
import { EntityList } from '../components/EntityList';
import { ProgressSummary, progressText } from '../components/JobProgress';
import { formDialog } from '../dialogs';
import { ServiceEvents } from '../models/events';
import { detailHost, job, schedule, scheduleRun as run, settle } from './fixtures';

jest.mock('../dialogs', () => ({ formDialog: jest.fn(), confirm: jest.fn() }));
const mockedFormDialog = formDialog as jest.MockedFunction<typeof formDialog>;

jest.mock('../api/client', () => jest.requireActual('./fixtures').mockClient());

const mocked = api as jest.Mocked<typeof api>;

beforeEach(() => jest.resetAllMocks());

describe('schedule form', () => {
  const form = () => initialScheduleForm('work/Report 1.ipynb', { day: 'x' }, ['local', 'gpu'], 'Europe/Paris');

  it('is pre-filled from the notebook, its parameters and the browser time zone', () => {
    const value = form();
    expect(value.name).toBe('Report-1');
    expect(value.target).toBe('local');
    expect(value.experiment).toBe('Report 1');
    expect(JSON.parse(value.parameters)).toEqual({ day: 'x' });
    expect(value.timeZone).toBe('Europe/Paris');
    expect(defaultScheduleName('__.ipynb')).toBe('schedule');
  });

  it('builds the body POST /schedules takes, with the job spec the submit dialog builds', () => {
    const checked = validateScheduleForm({ ...form(), cron: ' */5  * * * * ', maxConcurrentRuns: '2' }, ['local']);
    expect(checked.errors).toEqual({});
    expect(checked.body).toEqual({
      name: 'Report-1',
      job: {
        kind: 'notebook',
        notebook: 'work/Report 1.ipynb',
        target: 'local',
        experiment: 'Report 1',
        parameters: { day: 'x' },
        max_retries: 0
      },
      cron: '*/5 * * * *',
      time_zone: 'Europe/Paris',
      catch_up: 'latest',
      max_concurrent_runs: 2,
      concurrency_policy: 'skip',
      enabled: true
    });
  });

  it('names each field that is wrong', () => {
    const checked = validateScheduleForm(
      { ...form(), name: 'bad name!', cron: '0 25 * * *', timeZone: 'Mars/Olympus', maxConcurrentRuns: '0', parameters: '[1]' },
      ['local']
    );
    expect(checked.body).toBeUndefined();
    expect(checked.errors.name).toMatch(/letters, digits/);
    expect(checked.errors.cron).toBe('Hour: 25 is out of range; use 0 to 23.');
    expect(checked.errors.timeZone).toMatch(/not a time zone/);
    expect(checked.errors.maxConcurrentRuns).toMatch(/1 to 1000/);
    expect(checked.errors.parameters).toMatch(/JSON object/);
    expect(validateScheduleForm(form(), ['local'], ['Report-1']).errors.name).toMatch(/already exists/);
  });

  it('builds a recurrence, start/end and the catch-up limit into the body', () => {
    const checked = validateScheduleForm(
      {
        ...form(),
        timing: 'recurrence',
        every: '2',
        unit: 'weeks',
        at: '14:00, 9:30',
        weekdays: ['thu', 'mon'],
        startAt: '2026-12-01T00:00',
        endAt: '2027-06-30T23:59',
        catchUp: 'all',
        catchUpLimit: '3',
        description: 'weekly report'
      },
      ['local']
    );
    expect(checked.errors).toEqual({});
    expect(checked.body).toMatchObject({
      description: 'weekly report',
      recurrence: { every: 2, unit: 'weeks', at: ['09:30', '14:00'], weekdays: ['mon', 'thu'] },
      start_at: '2026-12-01T00:00:00Z',
      end_at: '2027-06-30T23:59:00Z',
      catch_up: 'all',
      catch_up_limit: 3
    });
    expect(checked.body!.cron).toBeUndefined();
    const wrong = validateScheduleForm(
      { ...form(), timing: 'recurrence', every: '0', unit: 'days', at: '25:00', startAt: '2027-01-01T00:00', endAt: '2026-01-01T00:00' },
      ['local']
    );
    expect(wrong.errors.every).toMatch(/1 to 10000/);
    expect(wrong.errors.at).toMatch(/"25:00" is not a time/);
    expect(wrong.errors.endAt).toMatch(/after the start/);
  });
});

describe('editing a schedule', () => {
  const cronSchedule = () =>
    schedule({
      description: 'nightly report',
      job: {
        kind: 'notebook',
        notebook: 'report.ipynb',
        target: 'gpu',
        experiment: 'reports',
        display_name: 'nightly {{ scheduled_date }}',
        parameters: { day: '{{ scheduled_date }}', n: 3 },
        timeout_s: 600,
        max_retries: 2,
        environment_variables: { MODE: 'full' }
      },
      cron: '30 6 * * 1-5',
      time_zone: 'Europe/Paris',
      start_at: '2026-12-01T00:00:00',
      catch_up: 'all',
      catch_up_limit: 5,
      max_concurrent_runs: 2,
      concurrency_policy: 'queue',
      enabled: false
    });
  const recurrenceSchedule = () =>
    schedule({ cron: null, recurrence: { every: 2, unit: 'weeks', at: ['09:00'], weekdays: ['mon', 'thu'] } });

  it('pre-fills every field from a cron schedule', () => {
    const form = scheduleEditForm(cronSchedule());
    expect(form).toMatchObject({
      name: 'nightly',
      description: 'nightly report',
      timing: 'cron',
      cron: '30 6 * * 1-5',
      timeZone: 'Europe/Paris',
      startAt: '2026-12-01T00:00',
      endAt: '',
      catchUp: 'all',
      catchUpLimit: '5',
      maxConcurrentRuns: '2',
      concurrencyPolicy: 'queue',
      enabled: false,
      jobKind: 'notebook',
      notebook: 'report.ipynb',
      target: 'gpu',
      experiment: 'reports',
      displayName: 'nightly {{ scheduled_date }}',
      timeout: '600',
      maxRetries: '2'
    });
    expect(JSON.parse(form.parameters)).toEqual({ day: '{{ scheduled_date }}', n: 3 });
    // Unchanged, it sends nothing.
    expect(validateScheduleEdit(form, cronSchedule(), ['local', 'gpu'])).toEqual({ body: {}, errors: {} });
  });

  it('pre-fills a recurrence as one, and renders it so', () => {
    const s = recurrenceSchedule();
    const form = scheduleEditForm(s);
    expect(form).toMatchObject({ timing: 'recurrence', every: '2', unit: 'weeks', at: '09:00', weekdays: ['mon', 'thu'] });
    expect(validateScheduleEdit(form, s, ['local']).body).toEqual({});
    render(<ScheduleForm value={form} errors={{}} onChange={jest.fn()} targets={['local']} editing />);
    expect((document.querySelector('select[name="timing"]') as HTMLSelectElement).value).toBe('recurrence');
    expect((document.querySelector('input[name="every"]') as HTMLInputElement).value).toBe('2');
    expect((document.querySelector('input[name="weekday-thu"]') as HTMLInputElement).checked).toBe(true);
    expect((document.querySelector('input[name="weekday-tue"]') as HTMLInputElement).checked).toBe(false);
    expect(document.querySelector('.jp-mlservice-cron-words')!.textContent).toBe('Every 2 weeks on Mon and Thu at 09:00');
    expect(document.querySelector('input[name="cron"]')).toBeNull();
    expect((document.querySelector('input[name="name"]') as HTMLInputElement).readOnly).toBe(true);
  });

  it('sends only the changed fields; a changed job whole, its other fields kept', () => {
    const s = cronSchedule();
    const form = scheduleEditForm(s);
    const edited = { ...form, parameters: '{"day": "{{ scheduled_date }}", "n": 4}', maxConcurrentRuns: '3' };
    expect(validateScheduleEdit(edited, s, ['local', 'gpu']).body).toEqual({
      max_concurrent_runs: 3,
      job: { ...s.job, parameters: { day: '{{ scheduled_date }}', n: 4 } }
    });
    // Timing, limits and state; a cleared display name and timeout go back to the defaults.
    const more = validateScheduleEdit(
      {
        ...form,
        cron: '0 3 * * *',
        timeZone: 'Asia/Tokyo',
        startAt: '',
        endAt: '2027-01-01T00:00',
        catchUp: 'latest',
        concurrencyPolicy: 'skip',
        enabled: true,
        description: '',
        displayName: '',
        timeout: ''
      },
      s,
      ['local', 'gpu']
    ).body!;
    expect(more).toMatchObject({
      cron: '0 3 * * *',
      time_zone: 'Asia/Tokyo',
      start_at: null,
      end_at: '2027-01-01T00:00:00Z',
      catch_up: 'latest',
      concurrency_policy: 'skip',
      enabled: true,
      description: ''
    });
    expect(more.catch_up_limit).toBeUndefined();
    expect(more.job).toEqual({
      kind: 'notebook',
      notebook: 'report.ipynb',
      target: 'gpu',
      experiment: 'reports',
      parameters: { day: '{{ scheduled_date }}', n: 3 },
      max_retries: 2,
      environment_variables: { MODE: 'full' }
    });
    expect(validateScheduleEdit({ ...form, cron: '0 3 * *' }, s, ['gpu']).errors.cron).toMatch(/5 fields/);
  });

  it('switches between cron and recurrence', () => {
    const rec = recurrenceSchedule();
    expect(validateScheduleEdit({ ...scheduleEditForm(rec), timing: 'cron', cron: '0 4 * * *' }, rec, ['local']).body).toEqual({
      cron: '0 4 * * *'
    });
    expect(validateScheduleEdit({ ...scheduleEditForm(rec), weekdays: ['thu', 'mon', 'fri'] }, rec, ['local']).body).toEqual({
      recurrence: { every: 2, unit: 'weeks', at: ['09:00'], weekdays: ['mon', 'thu', 'fri'] }
    });
    const s = schedule();
    expect(
      validateScheduleEdit({ ...scheduleEditForm(s), timing: 'recurrence', every: '15', unit: 'minutes', at: '02:00' }, s, ['local']).body
    ).toEqual({ recurrence: { every: 15, unit: 'minutes', at: [], weekdays: [] } });
  });

  it('edits a job of another kind as JSON', () => {
    const s = schedule({ job: { kind: 'command', command: 'python etl.py', target: 'local' } });
    const form = scheduleEditForm(s);
    expect(form.jobKind).toBe('command');
    expect(validateScheduleEdit(form, s, ['local']).body).toEqual({});
    const changed = { ...form, jobJson: '{"kind": "command", "command": "python etl.py --full", "target": "local"}' };
    expect(validateScheduleEdit(changed, s, ['local']).body).toEqual({
      job: { kind: 'command', command: 'python etl.py --full', target: 'local' }
    });
    expect(validateScheduleEdit({ ...form, jobJson: '{"command": "x"}' }, s, ['local']).errors.jobJson).toMatch(/kind/);
  });

  it('shows a refusal of the server in the re-opened dialog, with the edits kept', async () => {
    const s = cronSchedule();
    const update = jest.fn().mockRejectedValueOnce(new api.MLServiceError('job.notebook: report.ipynb is not a file on the server', 400));
    update.mockResolvedValueOnce({ ...s, max_concurrent_runs: 4 });
    let edited: any = null;
    mockedFormDialog
      .mockImplementationOnce(async (options: any) => {
        edited = { ...options.initial, maxConcurrentRuns: '4' };
        return options.validate(edited).result;
      })
      .mockImplementationOnce(async (options: any) => {
        // The second time: the user's values, the server's message on top.
        expect(options.initial).toEqual(edited);
        render(options.render(options.initial, options.initialErrors, jest.fn()));
        expect(screen.getByRole('alert').textContent).toBe('job.notebook: report.ipynb is not a file on the server');
        expect((document.querySelector('input[name="maxConcurrentRuns"]') as HTMLInputElement).value).toBe('4');
        return options.validate(options.initial).result;
      });
    const saved = await editScheduleDialog(s, ['local', 'gpu'], update);
    expect(update).toHaveBeenCalledTimes(2);
    expect(update).toHaveBeenLastCalledWith('nightly', { max_concurrent_runs: 4 });
    expect(saved!.max_concurrent_runs).toBe(4);
    expect(mockedFormDialog).toHaveBeenCalledTimes(2);
  });

  it('sends nothing when nothing changed, and a server failure is not taken for a refusal', async () => {
    const s = schedule();
    const update = jest.fn();
    mockedFormDialog.mockImplementationOnce(async (options: any) => options.validate(options.initial).result);
    expect(await editScheduleDialog(s, ['local'], update)).toBe(s);
    expect(update).not.toHaveBeenCalled();
    update.mockRejectedValueOnce(new api.MLServiceError('database is locked', 500));
    mockedFormDialog.mockImplementationOnce(async (options: any) => options.validate({ ...options.initial, enabled: false }).result);
    await expect(editScheduleDialog(s, ['local'], update)).rejects.toThrow('database is locked');
    expect(mockedFormDialog).toHaveBeenCalledTimes(2);
  });
});

describe('SchedulesModel', () => {
  it('lists schedules a page at a time and refreshes on schedule events', async () => {
    mocked.listSchedules.mockResolvedValue({ items: [schedule({ name: 'a' }), schedule({ name: 'b' })], next_cursor: null });
    const events = new ServiceEvents(null);
    const model = new SchedulesModel({ auto: false, events });
    await model.refresh();
    expect(model.items.map(s => s.name)).toEqual(['a', 'b']);
    expect(mocked.listSchedules).toHaveBeenCalledWith({ limit: 25, cursor: null });
    events.emit('schedule', { name: 'a', action: 'fired', run_id: 4, status: null });
    await settle(20);
    expect(mocked.listSchedules).toHaveBeenCalledTimes(2);
    // A job event matters only while a listed schedule has runs going.
    events.emit('job', { job_id: 'x', status: 'Completed' });
    await settle(20);
    expect(mocked.listSchedules).toHaveBeenCalledTimes(2);
    model.dispose();
  });

  it('calls the API for each action and tells the other models', async () => {
    mocked.listSchedules.mockResolvedValue({ items: [schedule()], next_cursor: null });
    mocked.setScheduleEnabled.mockResolvedValue(schedule({ enabled: false }));
    mocked.runScheduleNow.mockResolvedValue(run({ trigger: 'manual' }));
    mocked.updateSchedule.mockResolvedValue(schedule({ cron: '0 3 * * *' }));
    const events = new ServiceEvents(null);
    const said: string[] = [];
    events.on('schedule', e => said.push(`${e.name} ${e.action}`));
    const model = new SchedulesModel({ auto: false, events });
    await model.refresh();
    await model.setEnabled('nightly', false);
    expect(mocked.setScheduleEnabled).toHaveBeenCalledWith('nightly', false);
    expect(model.items[0].enabled).toBe(false);
    expect((await model.runNow('nightly')).trigger).toBe('manual');
    await model.update('nightly', { cron: '0 3 * * *' });
    expect(mocked.updateSchedule).toHaveBeenCalledWith('nightly', { cron: '0 3 * * *' });
    await model.remove('nightly');
    expect(mocked.deleteSchedule).toHaveBeenCalledWith('nightly');
    expect(model.items).toEqual([]);
    expect(said).toEqual(['nightly disabled', 'nightly fired', 'nightly updated', 'nightly deleted']);
    model.dispose();
  });

  it('keeps the server message when the list fails', async () => {
    mocked.listSchedules.mockRejectedValue(new api.MLServiceError('database is locked', 500));
    const model = new SchedulesModel({ auto: false });
    await model.refresh();
    expect(model.error).toBe('database is locked');
    model.dispose();
  });

  it('one schedule’s view reads its history, follows its runs’ jobs, and knows when it is gone', async () => {
    mocked.getSchedule.mockResolvedValue(schedule());
    mocked.listScheduleRuns.mockResolvedValue({ items: [run({ id: 7, job_id: 'job-7' }), run({ id: 6 })], next_cursor: null });
    const events = new ServiceEvents(null);
    const model = new ScheduleDetailModel({ schedule: 'nightly', auto: false, events });
    await model.refresh();
    expect(model.runs.map(r => r.id)).toEqual([7, 6]);
    expect(mocked.listScheduleRuns).toHaveBeenCalledWith('nightly', { limit: 20 });
    events.emit('job', { job_id: 'job-7', status: 'Completed' });
    await settle(20);
    expect(mocked.getSchedule).toHaveBeenCalledTimes(2);
    events.emit('job', { job_id: 'elsewhere', status: 'Completed' });
    await settle(20);
    expect(mocked.getSchedule).toHaveBeenCalledTimes(2);
    mocked.getSchedule.mockRejectedValue(new api.MLServiceError('no schedule', 404));
    await model.refresh();
    expect(model.gone).toBe(true);
    model.dispose();
  });
});

describe('the Schedules views', () => {
  it('the list shows each schedule in words with its state, next run and last runs', async () => {
    mocked.listSchedules.mockResolvedValue({
      items: [
        schedule({ last_runs: [run({ id: 2, job_status: 'Running' }), run({ id: 1, job_status: 'Failed' })] }),
        schedule({ name: 'paused', enabled: false, next_run_at: null, cron: '*/15 * * * *', time_zone: 'Europe/Paris', last_runs: [] })
      ],
      next_cursor: null
    });
    const model = new SchedulesModel({ auto: false });
    render(
      <EntityList
        model={model}
        label="Schedules"
        columns={scheduleColumns()}
        onOpen={jest.fn()}
        rowData={s => ({ schedule: s.name, enabled: String(s.enabled) })}
      />
    );
    await React.act(() => model.refresh());
    const nightly = document.querySelector('[data-schedule="nightly"]')!;
    expect(nightly.textContent).toContain('At 02:00, every day');
    expect(nightly.textContent).toContain('Enabled');
    expect(nightly.textContent).toContain('report.ipynb');
    expect(nightly.querySelectorAll('.jp-mlservice-run-badge')).toHaveLength(2);
    expect(nightly.querySelector('[data-status="Failed"]')).toBeTruthy();
    const paused = document.querySelector('[data-schedule="paused"]')!;
    expect(paused.getAttribute('data-enabled')).toBe('false');
    expect(paused.textContent).toContain('Every 15 minutes (Europe/Paris)');
    expect(paused.textContent).toContain('Disabled');
    expect(paused.textContent).toContain('no next run');
    model.dispose();
  });

  it('a schedule shows its settings and history; a run opens its job; the buttons act', async () => {
    mocked.getSchedule.mockResolvedValue(schedule({ max_concurrent_runs: 3, concurrency_policy: 'queue' }));
    mocked.listScheduleRuns.mockResolvedValue({
      items: [run({ id: 3, job_id: 'job-3', trigger: 'manual' }), run({ id: 2, job_id: null, job_status: null, state: 'skipped', reason: 'busy' })],
      next_cursor: null
    });
    const model = new ScheduleDetailModel({ schedule: 'nightly', auto: false });
    const actions: IScheduleActions & Record<string, jest.Mock> = {
      runNow: jest.fn(),
      setEnabled: jest.fn(),
      edit: jest.fn(),
      remove: jest.fn()
    };
    const host = detailHost();
    render(<ScheduleView model={model} actions={actions} host={host} />);
    await React.act(() => model.refresh());
    expect(document.querySelector('.jp-mlservice-schedule-settings')!.textContent).toContain('3 at once, then queue');
    const history = document.querySelector('.jp-mlservice-schedule-history')!;
    expect(history.querySelectorAll('.jp-mlservice-schedule-run')).toHaveLength(2);
    expect(history.textContent).toContain('manual');
    expect(history.textContent).toContain('Skipped');
    expect(history.textContent).toContain('busy');
    fireEvent.click(screen.getByText('job-3'));
    expect(host.open).toHaveBeenCalledWith('jobs/job-3');
    fireEvent.click(screen.getByText('Run now'));
    expect(actions.runNow).toHaveBeenCalledWith('nightly');
    fireEvent.click(screen.getByText('Disable'));
    expect(actions.setEnabled).toHaveBeenCalledWith('nightly', false);
    fireEvent.click(screen.getByText('Edit'));
    expect(actions.edit).toHaveBeenCalledWith('nightly');
    fireEvent.click(screen.getByText('Delete'));
    expect(actions.remove).toHaveBeenCalledWith('nightly');
    model.dispose();
  });

  it('labels a run by its job status, else its own state', () => {
    expect(runLabel(run({ job_status: 'Running' }))).toBe('Running');
    expect(runLabel(run({ job_status: null, state: 'missed' }))).toBe('Missed');
  });
});

describe('schedule dialog', () => {
  it('shows the cron in words as it changes, and presets fill it', () => {
    const onChange = jest.fn();
    const { rerender } = render(<CronField value="0 2 * * *" onChange={onChange} />);
    expect(document.querySelector('.jp-mlservice-cron-words')!.textContent).toBe('At 02:00, every day');
    rerender(<CronField value="0 2 *" onChange={onChange} />);
    const words = document.querySelector('.jp-mlservice-cron-words')!;
    expect(words.className).toContain('jp-mlservice-cron-invalid');
    expect(words.textContent).toMatch(/5 fields/);
    fireEvent.click(screen.getByText('Every minute'));
    expect(onChange).toHaveBeenCalledWith('* * * * *');
  });

  it('edits timing and job fields of one value', () => {
    const value = initialScheduleForm('a.ipynb', {}, ['local'], 'UTC');
    const onChange = jest.fn();
    render(<ScheduleForm value={value} errors={{}} onChange={onChange} targets={['local']} />);
    fireEvent.change(document.querySelector('input[name="cron"]')!, { target: { value: '* * * * *' } });
    expect(onChange).toHaveBeenLastCalledWith({ ...value, cron: '* * * * *' });
    fireEvent.change(document.querySelector('input[name="experiment"]')!, { target: { value: 'nightly' } });
    expect(onChange).toHaveBeenLastCalledWith({ ...value, experiment: 'nightly' });
    fireEvent.change(document.querySelector('select[name="catchUp"]')!, { target: { value: 'all' } });
    expect(onChange).toHaveBeenLastCalledWith({ ...value, catchUp: 'all' });
  });
});

describe('batch progress in Jobs', () => {
  const progress = {
    kind: 'batch',
    status: 'running',
    job_status: 'Running',
    mini_batches_total: 40,
    mini_batches_done: 12,
    mini_batches_failed: 0,
    rows_per_s: 3200.4,
    rows_done: 120000
  };

  it('reads progress of running batch jobs only (a listed status may lag behind)', async () => {
    mocked.listJobs.mockResolvedValue({
      items: [
        job({ id: 'b1', kind: 'batch', status: 'Running' }),
        job({ id: 'b2', kind: 'batch', status: 'Completed' }),
        job({ id: 'b3', kind: 'batch', status: 'Preparing' }),
        job({ id: 'n1', kind: 'notebook', status: 'Running' })
      ],
      next_cursor: null
    });
    mocked.getJobProgress.mockResolvedValue(progress);
    const model = new JobsModel({ auto: false });
    await model.refresh();
    expect(mocked.getJobProgress.mock.calls.map(c => c[0]).sort()).toEqual(['b1', 'b3']);
    expect(model.progress('b1')).toEqual(progress);
    expect(model.progress('b2')).toBeNull();
    // b3's progress says it runs: the list shows it running, not Preparing.
    expect(model.items.find(j => j.id === 'b3')!.status).toBe('Running');
    model.dispose();
  });

  it('shows mini-batches done/total and rows/s in the list', async () => {
    mocked.listJobs.mockResolvedValue({ items: [job({ id: 'b1', kind: 'batch', status: 'Running' })], next_cursor: null });
    mocked.getJobProgress.mockResolvedValue(progress);
    const model = new JobsModel({ auto: false });
    render(<EntityList model={model} label="Jobs" columns={jobColumns(model)} onOpen={jest.fn()} />);
    await React.act(() => model.refresh());
    expect(screen.getByText('12/40 mini-batches · 3,200 rows/s')).toBeTruthy();
    expect(document.querySelector('progress')!.getAttribute('value')).toBe('12');
    model.dispose();
  });

  it('words progress of each kind', () => {
    expect(progressText({ ...progress, mini_batches_total: null, rows_per_s: null, mini_batches_failed: 2 } as any)).toBe(
      '12/? mini-batches · 2 failed'
    );
    expect(progressText({ kind: 'notebook', status: 'running', job_status: 'Running', cells_done: 3, cells_total: 10 })).toBe(
      '3/10 cells'
    );
    expect(progressText({ kind: 'batch', status: 'queued', job_status: 'Queued' })).toBe('queued');
    render(<ProgressSummary progress={null} />);
  });
});

describe('the job view reads progress', () => {
  it('while a batch job runs', async () => {
    const { JobDetailModel } = await import('../areas/jobs/model');
    mocked.getJob.mockResolvedValue(job({ id: 'b1', kind: 'batch', status: 'Running' }));
    mocked.getJobLogs.mockResolvedValue({ text: '', offset: 0, size: 0, complete: false } as any);
    mocked.getJobMetrics.mockResolvedValue({ metrics: {}, params: {} } as any);
    mocked.getJobProgress.mockResolvedValue({ kind: 'batch', status: 'running', job_status: 'Running', mini_batches_done: 1 });
    const model = new JobDetailModel({ id: 'b1', auto: false });
    await model.refresh();
    expect(model.progress?.kind).toBe('batch');
    model.dispose();
  });
});
