// What the renderer says in words (issue 10.7): counts with the right plural, validation
// messages a person can read (from the contract's real zod errors, so a zod wording
// change shows here), backups named by kind and time, and no title repeated in its message.
import { describe, expect, it } from 'vitest';
import { commands } from '../../shared/contract.ts';
import { fieldErrorsOf, humanIssue, issueLines } from '../../renderer/src/errors.ts';
import { plural } from '../../renderer/src/format.ts';
import {
  afterTitle,
  backupTitle,
  distinctBackupTitles,
  drillSummaryText,
  repeated,
} from '../../renderer/src/names.ts';

function badInput(name: keyof typeof commands, input: unknown) {
  const r = commands[name].input.safeParse(input);
  if (r.success) throw new Error('expected invalid input');
  const issues = r.error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
  }));
  return { code: 'BAD_INPUT' as const, message: 'Invalid input.', details: { issues } };
}

describe('plural', () => {
  it.each([
    [0, 'environment', undefined, '0 environments'],
    [1, 'environment', undefined, '1 environment'],
    [2, 'environment', undefined, '2 environments'],
    [1, 'copy', 'copies', '1 copy'],
    [3, 'copy', 'copies', '3 copies'],
  ])('%i %s', (n, one, many, want) => {
    expect(plural(n, one, many)).toBe(want);
  });
  it('groups thousands', () => {
    expect(plural(1204, 'deployment')).toMatch(/^1[,. \u202f\u00a0]?204 deployments$/);
  });
});

describe('validation messages', () => {
  it('turns every zod issue of a form into words, each on its own field', () => {
    const error = badInput('backups.updateSettings', {
      intervalMinutes: 1,
      retention: { keepLast: 0, daily: 400 },
    });
    const { fields } = fieldErrorsOf(error, [
      'intervalMinutes',
      'retention.keepLast',
      'retention.daily',
    ] as const);
    expect(fields).toEqual({
      intervalMinutes: 'Must be at least 5',
      'retention.keepLast': 'Must be at least 1',
      'retention.daily': 'Must be at most 366',
    });
    // All of them, at once; none in the validator's own wording.
    const lines = issueLines(error);
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).not.toMatch(/Too (small|big)|expected|>=|<=/);
  });

  it('reads types, empty text and missing values', () => {
    const error = badInput('projects.create', { name: '', description: 5 });
    expect(issueLines(error).join('\n')).not.toMatch(/expected|received|>=/);
    expect(humanIssue('Invalid input: expected number, received string')).toBe('Must be a number');
    expect(humanIssue('Invalid input: expected int, received number')).toBe(
      'Must be a whole number',
    );
    expect(humanIssue('Invalid input: expected string, received undefined')).toBe('Required');
    expect(humanIssue('Too small: expected string to have >=8 characters')).toBe(
      'Must be at least 8 characters',
    );
    expect(humanIssue('Too small: expected string to have >=1 characters')).toBe(
      'Must not be empty',
    );
    // The contract's own messages pass through.
    expect(humanIssue('must be a file name, not a path')).toBe('Must be a file name, not a path');
  });
});

describe('backup names', () => {
  it('names a Stateward backup by kind and time, from the file name when that is all there is', () => {
    const fromFile = backupTitle({ fileName: '20261127T135214Z-manual-03a48e0c1d2e3f40.sqlite' });
    expect(fromFile).toMatch(/^Manual backup of /);
    expect(fromFile).not.toMatch(/sqlite|03a48e/);
    expect(fromFile).toContain('2026');
    const at = Date.UTC(2026, 10, 27, 13, 52, 14);
    expect(fromFile).toBe(backupTitle({ fileName: 'x.sqlite', kind: 'manual', createdAt: at }));
    expect(
      backupTitle({ fileName: '20261127T135214Z-pre-upgrade-abcdef0123456789.sqlite' }),
    ).toMatch(/^Pre-upgrade backup of /);
  });
  it('keeps the name of a file that is not a Stateward backup', () => {
    expect(backupTitle({ fileName: 'copy-from-usb.db' })).toBe('copy-from-usb.db');
  });
  it('names the seconds only when two backups of a list would read alike', () => {
    const names = [
      '20261127T135214Z-manual-03a48e0c1d2e3f40.sqlite',
      '20261127T135251Z-manual-93a48e0c1d2e3f41.sqlite',
      '20261127T140000Z-manual-13a48e0c1d2e3f42.sqlite',
    ].map((fileName) => ({ fileName }));
    const titles = distinctBackupTitles(names);
    expect(new Set(titles).size).toBe(3);
    expect(titles[0]).toBe(backupTitle(names[0]!, true));
    expect(titles[0]).not.toBe(backupTitle(names[0]!));
    expect(titles[2]).toBe(backupTitle(names[2]!));
    expect([...repeated(['a', 'b', 'a', 'c', 'a'])]).toEqual(['a']);
  });
});

describe('afterTitle', () => {
  const title = 'The last restore drill failed';
  it('drops a repeated title, however often', () => {
    expect(afterTitle(title, 'The last restore drill failed: hash mismatch')).toBe('Hash mismatch');
    expect(
      afterTitle(
        title,
        'The last restore drill failed: The last restore drill failed: hash mismatch',
      ),
    ).toBe('Hash mismatch');
  });
  it('leaves other messages alone', () => {
    expect(afterTitle(title, 'Its SHA-256 differs.')).toBe('Its SHA-256 differs.');
    expect(afterTitle(title, title)).toBe(title);
  });
});

describe('drillSummaryText', () => {
  const source = {
    fileName: '20261127T135214Z-manual-03a48e0c1d2e3f40.sqlite',
    kind: 'manual' as const,
    createdAt: Date.UTC(2026, 10, 27, 13, 52, 14),
  };
  it('names the backup by kind and time and does not repeat the verdict', () => {
    const text = drillSummaryText({
      summary: `Passed: ${source.fileName} restores, boots and shows its data (7 steps).`,
      source,
    });
    expect(text).toMatch(/^Manual backup of .* restores, boots and shows its data \(7 steps\)\.$/);
    expect(text).not.toContain('.sqlite');
  });
  it('keeps a failure reason as it is, minus the verdict', () => {
    expect(
      drillSummaryText({ summary: 'Failed: its SHA-256 differs from the manifest.', source }),
    ).toBe('Its SHA-256 differs from the manifest.');
  });
});
