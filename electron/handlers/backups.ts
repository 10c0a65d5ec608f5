import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HandlerMap } from './registry.ts';
import { AppError } from '../../shared/errors.ts';
import type { BackupEntry, BackupSettings, OffsiteCheck } from '../../shared/domain.ts';
import type { Runtime } from '../core/runtime.ts';
import { FILE_MODE, fsyncDir } from '../core/fsutil.ts';
import { proveOffsiteDir } from '../core/backup/offsite.ts';
import { manifestNameFor } from '../core/backup/manifest.ts';

export function findBackup(rt: Runtime, id: string): BackupEntry {
  const entry = rt.backups.list().find((b) => b.id === id);
  if (!entry) throw new AppError('NOT_FOUND', `Backup ${id} is not in the backups folder.`);
  return entry;
}

export const backupHandlers: HandlerMap = {
  'backups.overview': (_input, rt) => rt.backups.liveOverview(),
  'backups.list': (_input, rt) => rt.backups.list(),
  'backups.create': (input, rt) =>
    rt.backups.run({ kind: 'manual', compact: input.compact, opId: input.opId }),
  'backups.cancel': (input, rt) => ({ cancelled: rt.backups.cancel(input.opId) }),
  'backups.updateSettings': async (input, rt) => {
    const patch: Partial<BackupSettings> = {
      ...input,
      retention: { ...rt.backups.settings().retention, ...(input.retention ?? {}) },
    };
    let offsiteCheck: OffsiteCheck | null = null;
    if (input.offsiteDir) {
      if (!path.isAbsolute(input.offsiteDir)) {
        throw new AppError('BAD_INPUT', 'The off-site folder must be an absolute path.', {
          hint: 'For example /media/usb/stateward-backups.',
          details: { field: 'offsiteDir' },
        });
      }
      // The desktop app takes a new folder only from the native folder dialog (as Save As does).
      const unchanged = input.offsiteDir === rt.backups.settings().offsiteDir;
      if (rt.transport === 'electron' && !unchanged && !rt.grantedPaths.has(input.offsiteDir)) {
        throw new AppError('BAD_INPUT', 'Choose the off-site folder with “Choose folder…”.', {
          hint: 'Only a folder picked in the folder dialog can be the off-site folder.',
          details: { field: 'offsiteDir' },
        });
      }
      offsiteCheck = proveOffsiteDir(input.offsiteDir, rt.layout.dir, os.homedir(), rt.now());
      rt.grantedPaths.delete(input.offsiteDir);
      patch.offsiteDir = offsiteCheck.dir;
    }
    return { ...(await rt.backups.updateSettings(patch)), offsiteCheck };
  },
  'backups.export': async (input, rt) => {
    if (!rt.grantedPaths.has(input.path)) {
      throw new AppError('BAD_INPUT', 'Choose where to save the backup with Save As first.', {
        hint: 'Only a destination picked in the Save dialog can be written to.',
      });
    }
    const entry = findBackup(rt, input.id);
    const src = path.join(rt.layout.backups, entry.fileName);
    const dest = input.path;
    const tmp = `${dest}.stateward-tmp`;
    try {
      await fs.promises.copyFile(src, tmp);
      await fs.promises.chmod(tmp, FILE_MODE);
      const fh = await fs.promises.open(tmp, 'r+');
      await fh.sync().finally(() => fh.close());
      await fs.promises.rename(tmp, dest);
      if (entry.hasManifest) {
        const manifestDest = dest.replace(/(\.sqlite)?$/, '.manifest.json');
        await fs.promises.copyFile(
          path.join(rt.layout.backups, manifestNameFor(entry.fileName)),
          manifestDest,
        );
        await fs.promises.chmod(manifestDest, FILE_MODE);
      }
      fsyncDir(path.dirname(dest));
    } catch (e) {
      await fs.promises.rm(tmp, { force: true });
      throw new AppError(
        'BACKUP_DESTINATION_UNWRITABLE',
        `Could not save the backup to ${dest}: ${(e as Error).message}`,
        { cause: e },
      );
    } finally {
      rt.grantedPaths.delete(input.path);
    }
    return { path: dest };
  },
};
