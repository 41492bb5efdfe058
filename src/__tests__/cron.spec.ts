import { cronPresets, describeCron, describeRecurrence, describeTiming, joinWords } from '../cron';

function words(expression: string): string {
  const described = describeCron(expression);
  if (!described.ok) {
    throw new Error(`expected words for "${expression}", got error: ${described.error}`);
  }
  return described.text;
}

function error(expression: string): string {
  const described = describeCron(expression);
  if (described.ok) {
    throw new Error(`expected an error for "${expression}", got: ${described.text}`);
  }
  return described.error;
}

describe('describeCron', () => {
  it.each([
    ['* * * * *', 'Every minute'],
    ['*/15 * * * *', 'Every 15 minutes'],
    ['0 * * * *', 'Every hour, on the hour'],
    ['0 2 * * *', 'At 02:00, every day'],
    ['0 9 * * 1-5', 'At 09:00, Monday through Friday'],
    ['0 6 * * 1', 'At 06:00, only on Monday'],
    ['0 0 1 * *', 'At 00:00, on day 1 of the month']
  ])('describes the preset %s as "%s"', (cron, expected) => {
    expect(words(cron)).toBe(expected);
  });

  it('has words for every preset', () => {
    for (const preset of cronPresets()) {
      expect(describeCron(preset.cron).ok).toBe(true);
    }
  });

  it.each([
    ['30 9 * * *', 'At 09:30, every day'],
    ['0 9,17 * * *', 'At 09:00 and 17:00, every day'],
    ['0,30 8 * * *', 'At 08:00 and 08:30, every day'],
    ['15 * * * *', 'At 15 minutes past the hour'],
    ['1 * * * *', 'At 1 minute past the hour'],
    ['0 */2 * * *', 'At 0 minutes past the hour, every 2 hours'],
    ['*/10 9-17 * * 1-5', 'Every 10 minutes, between 09:00 and 17:59, Monday through Friday'],
    ['* 3 * * *', 'Every minute, during the 03:00 hour'],
    ['5-10 * * * *', 'Every minute from 5 through 10 past the hour'],
    ['0 12 * * 0', 'At 12:00, only on Sunday'],
    ['0 12 * * 7', 'At 12:00, only on Sunday'],
    ['0 12 * * sat,sun', 'At 12:00, on Saturday and Sunday'],
    ['0 8 * * MON,WED,FRI', 'At 08:00, on Monday, Wednesday and Friday'],
    ['0 0 1,15 * *', 'At 00:00, on days 1 and 15 of the month'],
    ['0 0 1-7 * *', 'At 00:00, on days 1 through 7 of the month'],
    ['0 0 */2 * *', 'At 00:00, every 2 days'],
    ['0 0 1 1 *', 'At 00:00, on day 1 of the month, only in January'],
    ['0 0 1 jan,jul *', 'At 00:00, on day 1 of the month, only in January and July'],
    ['0 0 * 6-8 *', 'At 00:00, every day, June through August'],
    ['0 0 1 */3 *', 'At 00:00, on day 1 of the month, every 3 months'],
    ['0 0 13 * 5', 'At 00:00, on day 13 of the month or only on Friday'],
    ['  0   2 * *  * ', 'At 02:00, every day']
  ])('describes %s as "%s"', (cron, expected) => {
    expect(words(cron)).toBe(expected);
  });

  it('explains the wrong number of fields', () => {
    expect(error('0 2 * *')).toMatch(/5 fields .* this one has 4/);
    expect(error('0 0 2 * * *')).toMatch(/this one has 6/);
  });

  it('asks for an expression when there is none', () => {
    expect(error('   ')).toMatch(/Enter a cron expression/);
  });

  it('names the field and the range of a value out of range', () => {
    expect(error('60 * * * *')).toBe('Minute: 60 is out of range; use 0 to 59.');
    expect(error('0 24 * * *')).toBe('Hour: 24 is out of range; use 0 to 23.');
    expect(error('0 0 0 * *')).toBe('Day of month: 0 is out of range; use 1 to 31.');
    expect(error('0 0 * 13 *')).toBe('Month: 13 is out of range; use 1 to 12.');
    expect(error('0 0 * * 8')).toBe('Day of week: 8 is out of range; use 0 to 7.');
  });

  it('explains bad values, steps and ranges', () => {
    expect(error('x * * * *')).toMatch(/^Minute: "x" is not a number from 0 to 59/);
    expect(error('0 0 * * funday')).toMatch(/Day of week: "funday" .* \(or a name such as mon\)/);
    expect(error('*/0 * * * *')).toMatch(/step .* above 0/);
    expect(error('0 17-9 * * *')).toMatch(/goes backwards/);
    expect(error('0 1,,2 * * *')).toMatch(/empty item/);
    expect(error('0 0 L * *')).toMatch(/Day of month: "L"/);
  });

  it('points @-macros to their five-field form', () => {
    expect(error('@daily')).toBe('Write "@daily" as five fields: "0 0 * * *".');
    expect(error('@reboot')).toMatch(/not a cron expression/);
  });
});

describe('describeRecurrence and describeTiming', () => {
  it('describes recurrences', () => {
    expect(describeRecurrence({ every: 15, unit: 'minutes' })).toBe('Every 15 minutes');
    expect(describeRecurrence({ every: 1, unit: 'days', at: ['02:00'] })).toBe('Every day at 02:00');
    expect(describeRecurrence({ every: 2, unit: 'weeks', weekdays: ['mon', 'thu'], at: ['09:00'] })).toBe(
      'Every 2 weeks on Mon and Thu at 09:00'
    );
  });

  it('adds a time zone other than UTC', () => {
    expect(describeTiming({ cron: '0 2 * * *', time_zone: 'Europe/Paris' })).toBe('At 02:00, every day (Europe/Paris)');
    expect(describeTiming({ cron: '0 2 * * *', time_zone: 'UTC' })).toBe('At 02:00, every day');
    expect(describeTiming({ recurrence: { every: 1, unit: 'hours' }, time_zone: 'UTC' })).toBe('Every hour');
  });

  it('joins words', () => {
    expect(joinWords([])).toBe('');
    expect(joinWords(['a'])).toBe('a');
    expect(joinWords(['a', 'b', 'c'])).toBe('a, b and c');
  });
});
