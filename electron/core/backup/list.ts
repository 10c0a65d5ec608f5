// Listing backups: the backups folder is the source of truth (a backup the CLI
// wrote while the app runs shows up without any bookkeeping). Sidecars are
// validated; a lone .sqlite is listed as a backup without a manifest.
import fs from 'node:fs';
import path from 'node:path';
import type { BackupEntry, BackupManifest } from '../../../shared/domain.ts';
import { listDir } from '../fsutil.ts';
import { BACKUP_EXT, manifestNameFor, manifestSchema, parseBackupFileName } from './manifest.ts';

export function readManifest(file: string): BackupManifest | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch (e) {
    if (e instanceof SyntaxError) return null;
    throw e;
  }
}

export function listBackupFiles(
  dir: string,
  offsiteDir: string | null,
  verifiedAt: (id: string) => number | null,
): BackupEntry[] {
  // No folder, or something that is not one: there are no backups to list (taking one reports why).
  const names = listDir(dir);
  const entries: BackupEntry[] = [];
  for (const name of names) {
    // Hidden names are temporaries (ours, or another program's), never a backup.
    if (!name.endsWith(BACKUP_EXT) || name.startsWith('.')) continue;
    const file = path.join(dir, name);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(file);
    } catch {
      continue; // removed while listing
    }
    if (!stat.isFile()) continue;
    const sidecar = readManifest(path.join(dir, manifestNameFor(name)));
    // A sidecar that describes another file (copied or renamed beside it) is not this backup's.
    const manifest = sidecar && sidecar.fileName === name ? sidecar : null;
    const fromName = parseBackupFileName(name);
    const id = manifest?.id ?? fromName?.id ?? name.slice(0, -BACKUP_EXT.length);
    let offsite = { copied: false, verifiedAt: null as number | null };
    if (offsiteDir) {
      try {
        const copy = fs.statSync(path.join(offsiteDir, name));
        const copyManifest = fs.statSync(path.join(offsiteDir, manifestNameFor(name)));
        if (copy.size === stat.size)
          offsite = { copied: true, verifiedAt: Math.round(copyManifest.mtimeMs) };
      } catch {
        // not copied (yet)
      }
    }
    entries.push({
      id,
      kind: manifest?.kind ?? fromName?.kind ?? 'manual',
      createdAt: manifest?.createdAt ?? fromName?.createdAt ?? Math.round(stat.mtimeMs),
      bytes: stat.size,
      schemaVersion: manifest?.schemaVersion ?? 0,
      compact: manifest?.compact ?? false,
      sha256: manifest?.sha256 ?? null,
      fileName: name,
      location: 'backups',
      hasManifest: manifest !== null,
      offsite,
      verifiedAt: verifiedAt(id),
      manifest,
    });
  }
  return entries.sort((a, b) => b.createdAt - a.createdAt);
}
