// `stateward run start|finish|list|show`: run history, recorded from scripts and CI (a
// test suite, a migration job) and listed with Stateward's own runs (backups, demo).
import type { Run, RunStatus } from '../../../shared/domain.ts';
import { RUN_STATUSES } from '../../../shared/domain.ts';
import { AppError } from '../../../shared/errors.ts';
import type { CliCommand, CliContext } from '../args.ts';
import { intOption, usageError } from '../args.ts';
import { EXIT, terminalSafe } from '../exit.ts';
import type { Outcome } from '../output.ts';
import { readTextFile } from '../prompt.ts';
import { isoTime, listed, tsv, withRecorder } from './projects.ts';

function runId(arg: string | undefined): number {
  const n = Number(arg);
  if (!arg || !/^\d+$/.test(arg) || !Number.isSafeInteger(n) || n < 1)
    throw usageError(`"${arg ?? ''}" is not a run id (the number \`run start\` printed).`);
  return n;
}

/** --detail-file F (- for stdin): a JSON object kept with the run. */
async function detailOf(ctx: CliContext): Promise<Record<string, unknown> | undefined> {
  const file = ctx.values['detail-file'] as string | undefined;
  if (file === undefined) return undefined;
  const text = await readTextFile(file, '--detail-file', ctx.stdin, 64 * 1024);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new AppError(
      'BAD_INPUT',
      `--detail-file: ${file} is not JSON (${(e as Error).message}).`,
      {
        hint: 'Give one JSON object. Nothing was changed.',
      },
    );
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new AppError('BAD_INPUT', `--detail-file: ${file} must hold one JSON object.`, {
      hint: 'Nothing was changed.',
    });
  return v as Record<string, unknown>;
}

const runRow = (r: Run) =>
  [r.id, r.kind, r.status, isoTime(r.startedAt), isoTime(r.finishedAt)] as const;

async function run(ctx: CliContext): Promise<Outcome> {
  const [sub, arg, ...extra] = ctx.args;
  const status = ctx.values.status as string | undefined;
  const kind = ctx.values.kind as string | undefined;
  if (extra.length) throw usageError(`Unexpected argument "${extra[0]}".`);
  if (status !== undefined && !(RUN_STATUSES as readonly string[]).includes(status))
    throw usageError(`--status must be one of ${RUN_STATUSES.join(', ')}, got "${status}".`);
  if (sub === 'start') {
    if (arg !== undefined) throw usageError(`Unexpected argument "${arg}".`);
    if (kind === undefined)
      throw usageError('--kind K is needed: what kind of run, like ci.tests.');
    const detail = await detailOf(ctx);
    return withRecorder(ctx, async (rec) => {
      const r = await rec.call('runs.start', { kind, ...(detail ? { detail } : {}) });
      return { exit: EXIT.ok, json: { run: r }, text: `${r.id}\n` };
    });
  }
  if (sub === 'finish') {
    const id = runId(arg);
    if (status !== 'succeeded' && status !== 'failed' && status !== 'cancelled')
      throw usageError('--status is needed: one of succeeded, failed, cancelled.');
    const detail = await detailOf(ctx);
    return withRecorder(ctx, async (rec) => {
      const r = await rec.call('runs.finish', { id, status, ...(detail ? { detail } : {}) });
      return listed({ run: r }, tsv([[r.id, r.status]]));
    });
  }
  if (sub === 'list') {
    if (arg !== undefined) throw usageError(`Unexpected argument "${arg}".`);
    const limit = intOption(ctx.values.limit as string | undefined, '--limit', 1, 500, 50);
    return withRecorder(ctx, async (rec) => {
      const runs = await rec.call('runs.list', {
        limit,
        ...(kind === undefined ? {} : { kind }),
        ...(status === undefined ? {} : { status: status as RunStatus }),
      });
      return listed({ runs }, tsv(runs.map(runRow)));
    });
  }
  if (sub === 'show') {
    const id = runId(arg);
    return withRecorder(ctx, async (rec) => {
      const r = await rec.call('runs.get', { id });
      return listed(
        { run: r },
        tsv([runRow(r)]) + `${terminalSafe(JSON.stringify(r.detail, null, 2))}\n`,
      );
    });
  }
  throw usageError('Use: run start|finish|list|show …');
}

export const runCommands: CliCommand[] = [
  {
    name: 'run',
    usage: [
      [
        'run start --kind K [--detail-file F]',
        'record a running piece of work (ci.tests …); prints its id',
      ],
      ['run finish <id> --status S', 'succeeded|failed|cancelled [--detail-file F: JSON]'],
      ['run list [--kind K] [--status S]', 'run history, newest first [--limit N]'],
      ['run show <id>', 'a run and its detail'],
    ],
    help: 'Listings print one row per line, fields separated by tabs; --json for machines.',
    options: {
      kind: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      'detail-file': { type: 'string' },
    },
    args: 'any',
    run,
  },
];
