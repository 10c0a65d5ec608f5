// `stateward run start|finish|list|show`: run history, recorded from scripts and CI (a
// test suite, a migration job) and listed with Stateward's own runs (backups, demo).
import type { Run, RunStatus } from '../../../shared/domain.ts';
import { RUN_STATUSES } from '../../../shared/domain.ts';
import type { CliCommand, CliContext, OptionSpec } from '../args.ts';
import { idArg, intOption, oneOf, onlyOptions, usageError } from '../args.ts';
import { EXIT, terminalSafe } from '../exit.ts';
import type { Outcome } from '../output.ts';
import { readJsonObjectFile } from '../prompt.ts';
import { isoTime, listed, tsv, withRecorder } from './projects.ts';

const runId = (arg: string | undefined): number =>
  idArg(arg, 'a run id (the number `run start` printed)');

/** --detail-file F (- for stdin): a JSON object kept with the run. */
async function detailOf(ctx: CliContext): Promise<Record<string, unknown> | undefined> {
  const file = ctx.values['detail-file'] as string | undefined;
  return file === undefined
    ? undefined
    : readJsonObjectFile(file, '--detail-file', ctx.stdin, 64 * 1024);
}

const runRow = (r: Run) =>
  [r.id, r.kind, r.status, isoTime(r.startedAt), isoTime(r.finishedAt)] as const;

const RUN_OPTIONS: OptionSpec = {
  kind: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  'detail-file': { type: 'string' },
};

/** The options each subcommand takes. */
const RUN_SUBS: Record<string, string[]> = {
  start: ['kind', 'detail-file'],
  finish: ['status', 'detail-file'],
  list: ['kind', 'status', 'limit'],
  show: [],
};

async function run(ctx: CliContext): Promise<Outcome> {
  const [sub, arg, ...extra] = ctx.args;
  const allowed = RUN_SUBS[sub ?? ''];
  if (!allowed) throw usageError('Use: run start|finish|list|show …');
  onlyOptions(ctx, `run ${sub}`, RUN_OPTIONS, allowed);
  const status = oneOf<RunStatus>(ctx.values.status, '--status', RUN_STATUSES);
  const kind = ctx.values.kind as string | undefined;
  if (extra.length) throw usageError(`Unexpected argument "${extra[0]}".`);
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
        ...(status === undefined ? {} : { status }),
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
    options: RUN_OPTIONS,
    args: 'any',
    run,
  },
];
