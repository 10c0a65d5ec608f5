import path from 'node:path';
import type { HandlerMap } from './registry.ts';
import { AppError } from '../../shared/errors.ts';
import type { RestoreSource } from '../../shared/domain.ts';
import type { Runtime } from '../core/runtime.ts';
import { diffOfCopy } from '../core/restore/copy-diff.ts';

/** A file path from the renderer is accepted only if the user picked it in a native dialog. */
function checkedSource(rt: Runtime, source: RestoreSource): RestoreSource {
  if (
    'path' in source &&
    !rt.grantedPaths.has(source.path) &&
    !rt.grantedPaths.has(path.resolve(source.path))
  ) {
    throw new AppError('BAD_INPUT', 'Choose the backup file with Open first.', {
      hint: 'Only a file picked in the Open dialog (or a backup from the list) can be restored.',
    });
  }
  return source;
}

export const restoreHandlers: HandlerMap = {
  'restores.preflight': async (input, rt) => {
    const r = await rt.restores.stage(checkedSource(rt, input.source), input.opId);
    return { restoreId: r.restoreId, report: r.report };
  },
  'restores.drill': (input, rt) => rt.restores.drill(input.restoreId, input.opId, input.target),
  'restores.verify': (input, rt) =>
    rt.restores.verify(checkedSource(rt, input.source), input.opId, input.target),
  'restores.list': (_input, rt) => rt.restores.list(),
  'restores.compare': (input, rt) => rt.restores.compare(input.restoreId),
  'restores.diff': (input, rt) => diffOfCopy(rt, input.restoreId, input),
  'restores.promote': async (input, rt) => {
    const r = await rt.restores.promote(input.restoreId);
    return { preRestoreBackup: r.preRestoreBackup !== null };
  },
  'restores.discard': (input, rt) => {
    rt.restores.discard(input.restoreId);
    return { discarded: true as const };
  },
  'drills.list': (_input, rt) => rt.restores.drills(),
  'drills.get': (input, rt) => rt.restores.drillReport(input.id),
  'drills.overview': (_input, rt) => rt.restores.overview(),
  'drills.export': (input, rt) => rt.restores.exportReport(input.id, input.format),
};
