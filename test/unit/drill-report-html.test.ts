// The exported drill reports escape every value they print: a report file in
// drills/ edited by hand (or by another program) cannot put markup into the HTML
// page an auditor opens, through a step's status or time either; and an uploaded
// file's name (chosen by whoever uploads it) neither breaks the Markdown report's
// table nor puts raw HTML into it.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRuntime } from '../helpers/backup-util.ts';
import { sha256 } from '../helpers/restore-util.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

describe('drill report export (HTML)', () => {
  it('prints a hand-edited step status and time as text, not markup', async () => {
    const rt = await seededRuntime(world, 3, { projects: 1 });
    const b = await rt.backups.run({ kind: 'manual', compact: false });
    const r = await rt.restores.verify({ backupId: b.id });
    const file = path.join(rt.layout.drills, `${r.id}.json`);
    const edited = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    const steps = edited['steps'] as Record<string, unknown>[];
    steps[0]!['status'] = 'pass"><img src=x onerror=alert(1)>';
    steps[1]!['ms'] = '<script>alert(2)</script>';
    fs.writeFileSync(file, JSON.stringify(edited));

    const html = rt.restores.exportReport(r.id, 'html').content;
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<script');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('an uploaded file named with | and HTML stays one cell of text in the Markdown report', async () => {
    const rt = await seededRuntime(world, 3, { projects: 1 });
    const b = await rt.backups.run({ kind: 'manual', compact: false });
    const file = path.join(rt.layout.backups, b.fileName);
    const fileName = 'a|b <img src=x onerror=alert(1)> *c*.sqlite';
    const staged = await rt.restores.stage({ path: file }, undefined, {
      upload: { fileName, sha256: sha256(file) },
    });
    const r = await rt.restores.drill(staged.restoreId!);
    const md = rt.restores.exportReport(r.id, 'markdown').content;
    expect(md).not.toContain('<img');
    const row = md.split('\n').find((l) => l.startsWith('| Backup file |'))!;
    // Three cell borders; the name's own | is escaped.
    expect(row.replace(/\\\|/g, '').match(/\|/g)).toHaveLength(3);
  });
});
