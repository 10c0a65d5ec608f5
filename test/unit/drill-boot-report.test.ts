// The boot step's requests in the exported reports (Markdown, HTML) and the CLI's
// text: every probe a row with its HTTP status and time, the app's log lines when
// it failed, every value printed as text (a report file edited by hand cannot put
// markup into the page an auditor opens).
import { describe, expect, it } from 'vitest';
import type { DrillReport, DrillStep } from '../../shared/domain.ts';
import { drillHtml, drillMarkdown } from '../../electron/core/restore/service.ts';

const hostStep: DrillStep = {
  key: 'host',
  title: 'Boots the real app and signs in',
  status: 'fail',
  ms: 812,
  detail: 'The app answered deployments.list with INTERNAL.',
  facts: { code: 'INTERNAL' },
  probes: [
    {
      name: 'Ready',
      request: 'GET /ready',
      httpStatus: 200,
      ms: 7,
      status: 'pass',
      detail: 'Ready: schema 9, Stateward 0.1.0.',
    },
    {
      name: 'Deployment history',
      request: 'POST deployments.list',
      httpStatus: 200,
      ms: 15,
      status: 'fail',
      detail: 'Refused: INTERNAL. <img src=x onerror=alert(1)> a|b',
    },
    {
      name: 'Stop',
      request: null,
      httpStatus: null,
      ms: 12,
      status: 'pass',
      detail: 'Exited on SIGTERM.',
    },
  ],
  log: [
    '2026-11-27T17:00:00.000Z ERROR [1] command deployments.list failed unexpectedly',
    '<script>x</script>',
  ],
};

function report(steps: DrillStep[]): DrillReport {
  return {
    id: 'r1',
    restoreId: null,
    startedAt: 0,
    finishedAt: 1000,
    passed: false,
    summary: 'Failed at the boot step.',
    appVersion: '0.1.0',
    machine: 'm',
    source: {
      fileName: 'b.sqlite',
      bytes: 1,
      sha256: null,
      manifest: 'none',
      backupId: null,
      kind: null,
      createdAt: null,
      appVersion: null,
      schemaVersion: 9,
      appSchemaVersion: 9,
      pendingMigrations: [],
      rowCounts: null,
    },
    steps,
    warnings: [],
  };
}

describe('boot step in the exported reports', () => {
  it('Markdown: one row per request with its HTTP status and time, and the log lines', () => {
    const md = drillMarkdown(report([hostStep]));
    const lines = md.split('\n');
    expect(lines).toContain('## Boots the real app and signs in: requests');
    expect(lines).toContain(
      '| Ready | GET /ready | 200 | 7 ms | PASS | Ready: schema 9, Stateward 0.1.0. |',
    );
    expect(lines).toContain('| Stop | — | — | 12 ms | PASS | Exited on SIGTERM. |');
    const failed = lines.find((l) => l.startsWith('| Deployment history |'))!;
    expect(failed).not.toContain('<img');
    // Six cells: the detail's own | is escaped.
    expect(failed.replace(/\\\|/g, '').match(/\|/g)).toHaveLength(7);
    expect(md).toContain('command deployments.list failed unexpectedly');
    expect(md).not.toContain('<script>');
  });

  it('HTML: the same rows, escaped; a hand-edited probe list is printed as text or skipped', () => {
    const html = drillHtml(report([hostStep]));
    expect(html).toContain('<td><code>GET /ready</code></td><td>200</td><td>7 ms</td>');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    const edited = {
      ...hostStep,
      probes: [{ name: '<b>', status: '<i>', ms: '<u>' }],
      log: 'not a list',
    } as unknown as DrillStep;
    const odd = drillHtml(report([edited]));
    expect(odd).toContain('&lt;b&gt;');
    expect(odd).toContain('<td>&lt;b&gt;</td>');
    expect(odd).not.toContain('<i>');
    expect(odd).not.toContain('<u>');
    expect(
      drillMarkdown(report([{ ...hostStep, probes: 'x' } as unknown as DrillStep])),
    ).not.toContain(': requests');
  });
});

describe('a report file edited by hand, exported', () => {
  const edited = {
    ...report([hostStep]),
    machine: null,
    warnings: [5, '<s>w</s>'],
    source: {
      ...report([]).source,
      sha256: '` <img src=x onerror=alert(1)> `',
      schemaVersion: '<b>9</b>',
    },
  } as unknown as DrillReport;

  it('Markdown: a hash or schema holding markup is text (a backtick cannot end the code span)', () => {
    const md = drillMarkdown(edited);
    expect(md).not.toContain('<img');
    expect(md).not.toContain('<b>');
    expect(md).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('HTML: values that are not text are printed, not a failed export', () => {
    const html = drillHtml(edited);
    expect(html).toContain('<tr><th>Machine</th><td>null</td></tr>');
    expect(html).toContain('<li>5</li><li>&lt;s&gt;w&lt;/s&gt;</li>');
    expect(html).not.toContain('<img');
  });
});
