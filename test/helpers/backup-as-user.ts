// Child process that takes one backup as another (unprivileged) user, for the
// permission cases root cannot produce:
//   node test/helpers/backup-as-user.ts <uid> <source-db> <out-dir>
// Prints one JSON line: {ok, code, files, modeAfter}.
import fs from 'node:fs';

const [uidArg, source, outDir] = process.argv.slice(2);
if (!uidArg || !source || !outDir) {
  process.stderr.write('usage: backup-as-user.ts <uid> <source-db> <out-dir>\n');
  process.exit(2);
}
const uid = Number(uidArg);
if (!process.setgid || !process.setuid) {
  process.stderr.write('backup-as-user: this platform cannot switch users\n');
  process.exit(2);
}
process.setgid(uid);
process.setuid(uid);
const { createBackup } = await import('../../electron/core/backup/engine.ts');
let result: { ok: boolean; code: string | null };
try {
  await createBackup({ source, outDir, kind: 'manual', compact: false });
  result = { ok: true, code: null };
} catch (e) {
  result = { ok: false, code: String((e as { code?: string }).code ?? e) };
}
process.stdout.write(
  `${JSON.stringify({
    ...result,
    files: fs.readdirSync(outDir),
    modeAfter: fs.statSync(outDir).mode & 0o777,
  })}\n`,
);
