// The exported HTML drill report escapes every value it prints: a report file in
// drills/ edited by hand (or by another program) cannot put markup into the page
// an auditor opens, through a step's status or time either.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { seededRuntime } from '../helpers/backup-util.ts';
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
});
