import { validateTargetForm } from '../areas/compute/forms';
import { initialSubmitForm, validateSubmitForm } from '../areas/jobs/forms';

describe('target form', () => {
  const form = { name: 'cpu-small', type: 'local', description: ' two slots ', settings: '{"max_concurrency": 2}' };

  it('gives the body to send when valid', () => {
    expect(validateTargetForm(form).body).toEqual({
      name: 'cpu-small',
      type: 'local',
      description: 'two slots',
      settings: { max_concurrency: 2 }
    });
  });

  it('says what to change instead of sending', () => {
    const bad = validateTargetForm({ ...form, name: '-bad name', settings: '[1]' });
    expect(bad.body).toBeUndefined();
    expect(bad.errors.name).toMatch(/letters, digits/);
    expect(bad.errors.settings).toMatch(/JSON object/);
    expect(validateTargetForm({ ...form, settings: '{' }).errors.settings).toMatch(/not valid JSON/);
    expect(validateTargetForm(form, ['cpu-small']).errors.name).toMatch(/already exists/);
  });
});

describe('submit form', () => {
  it('is pre-filled from the notebook and its parameters, on the preferred target when it exists', () => {
    const form = initialSubmitForm('work/train.ipynb', { alpha: 0.5 }, ['gpu', 'local']);
    expect(form.target).toBe('local');
    expect(initialSubmitForm('a.ipynb', {}, ['gpu', 'local'], 'gpu').target).toBe('gpu');
    expect(initialSubmitForm('a.ipynb', {}, ['gpu', 'local'], 'gone').target).toBe('local');
    expect(form.experiment).toBe('train');
    expect(JSON.parse(form.parameters)).toEqual({ alpha: 0.5 });
  });

  it('gives a notebook job spec when valid', () => {
    const form = { ...initialSubmitForm('train.ipynb', { a: 1 }, ['local']), timeout: '60', maxRetries: '2' };
    expect(validateSubmitForm(form, ['local']).spec).toEqual({
      kind: 'notebook',
      notebook: 'train.ipynb',
      target: 'local',
      experiment: 'train',
      parameters: { a: 1 },
      max_retries: 2,
      timeout_s: 60
    });
  });

  it('rejects bad fields with a message each', () => {
    const form = {
      ...initialSubmitForm('train.ipynb', {}, []),
      experiment: ' ',
      parameters: '{oops',
      timeout: '-1',
      maxRetries: '1.5'
    };
    const { spec, errors } = validateSubmitForm(form, []);
    expect(spec).toBeUndefined();
    expect(Object.keys(errors).sort()).toEqual(['experiment', 'maxRetries', 'parameters', 'target', 'timeout']);
  });
});
