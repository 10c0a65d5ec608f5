// `stateward resource set|list`: the last known status of each resource of an
// environment (a database, a queue, a host), as health checks and deploy scripts report it.
import type { ResourceHealth } from '../../../shared/domain.ts';
import { RESOURCE_HEALTH } from '../../../shared/domain.ts';
import type { CliCommand, CliContext, OptionSpec } from '../args.ts';
import { envTarget, oneOf, onlyOptions, usageError } from '../args.ts';
import type { Outcome } from '../output.ts';
import { readTextFile } from '../prompt.ts';
import { environmentNamed, isoTime, listed, tsv, withRecorder } from './projects.ts';

const RESOURCE_OPTIONS: OptionSpec = {
  status: { type: 'string' },
  detail: { type: 'string' },
  'detail-file': { type: 'string' },
};

async function resource(ctx: CliContext): Promise<Outcome> {
  const [sub, target, name, ...extra] = ctx.args;
  if (sub === 'set' || sub === 'list')
    onlyOptions(
      ctx,
      `resource ${sub}`,
      RESOURCE_OPTIONS,
      sub === 'set' ? ['status', 'detail', 'detail-file'] : [],
    );
  if (sub === 'set') {
    if (!target || !name || extra.length)
      throw usageError('Use: resource set <project>/<env> NAME --status S [--detail D]');
    const status = oneOf<ResourceHealth>(ctx.values.status, '--status', RESOURCE_HEALTH);
    if (!status) throw usageError(`--status is needed: one of ${RESOURCE_HEALTH.join(', ')}.`);
    envTarget(target);
    const inline = ctx.values.detail as string | undefined;
    const file = ctx.values['detail-file'] as string | undefined;
    if (inline !== undefined && file !== undefined)
      throw usageError('Give --detail or --detail-file, not both.');
    const detail =
      file === undefined ? inline : await readTextFile(file, '--detail-file', ctx.stdin, 80 * 1024);
    return withRecorder(ctx, async (rec) => {
      const { environment, label } = await environmentNamed(rec, target);
      const s = await rec.call('resources.set', {
        environmentId: environment.id,
        resource: name,
        status,
        ...(detail === undefined ? {} : { detail }),
      });
      return listed({ resource: s, environment: label }, tsv([[label, s.resource, s.status]]));
    });
  }
  if (sub === 'list') {
    if (!target || name !== undefined) throw usageError('Use: resource list <project>/<env>');
    envTarget(target);
    return withRecorder(ctx, async (rec) => {
      const { environment, label } = await environmentNamed(rec, target);
      const list = await rec.call('resources.list', { environmentId: environment.id });
      return listed(
        { environment: label, resources: list },
        tsv(list.map((s) => [s.resource, s.status, isoTime(s.checkedAt), s.detail || null])),
      );
    });
  }
  throw usageError('Use: resource set|list …');
}

export const resourceCommands: CliCommand[] = [
  {
    name: 'resource',
    usage: [
      [
        'resource set <project>/<env> NAME',
        `--status ${RESOURCE_HEALTH.join('|')} [--detail D | --detail-file F]`,
      ],
      ['resource list <project>/<env>', 'each resource: status, when checked, detail'],
    ],
    help: 'Listings print one row per line, fields separated by tabs; --json for machines.',
    options: RESOURCE_OPTIONS,
    args: 'any',
    run: resource,
  },
];
