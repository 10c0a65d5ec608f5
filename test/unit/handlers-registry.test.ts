import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import type { CommandName } from '../../shared/contract.ts';
import { AVAILABLE_WHEN_REFUSED, COMMAND_NAMES } from '../../shared/contract.ts';
import type { Result } from '../../shared/errors.ts';
import type { EventName, Events } from '../../shared/events.ts';
import type { Runtime } from '../../electron/core/runtime.ts';
import { dataDirLayout } from '../../electron/core/paths.ts';
import { createRegistry } from '../../electron/handlers/index.ts';
import type { HandlerMap } from '../../electron/handlers/registry.ts';
import { CommandRegistry } from '../../electron/handlers/registry.ts';
import { VALID_INPUTS } from '../helpers/commands.ts';
import { readyDb, startTestRuntime, testRegistry } from '../helpers/runtime.ts';
import { fingerprint } from '../helpers/store.ts';
import { useWorld } from '../helpers/world.ts';

const world = useWorld();

function expectOk<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.value;
}

function expectFail(r: Result<unknown>, code: string) {
  if (r.ok) throw new Error(`expected ${code}, got ok: ${JSON.stringify(r.value).slice(0, 200)}`);
  expect(r.error.code, r.error.message).toBe(code);
  return r.error;
}

/** Every event the runtime emits, in order. */
function recordEvents(rt: Runtime): { event: EventName; payload: Events[EventName] }[] {
  const seen: { event: EventName; payload: Events[EventName] }[] = [];
  const off = rt.events.onAny((event, payload) => seen.push({ event, payload }));
  world.defer(off);
  return seen;
}

async function ready() {
  const rt = await startTestRuntime(world);
  const db = readyDb(rt);
  const registry = testRegistry(rt);
  return { rt, db, registry };
}

/** A ready runtime with one project (id 1), environment (id 1) and deployment (id 1). */
async function seeded() {
  const w = await ready();
  const { registry } = w;
  expectOk(await registry.dispatch('projects.create', { name: 'shop', description: '' }));
  expectOk(
    await registry.dispatch('environments.create', {
      projectId: 1,
      name: 'prod',
      kind: 'production',
    }),
  );
  expectOk(await registry.dispatch('deployments.create', { environmentId: 1, version: '1.0.0' }));
  return w;
}

describe('registration', () => {
  it('registering a command twice throws', async () => {
    const { rt } = await ready();
    const registry = new CommandRegistry(rt);
    registry.register('projects.list', () => ({ items: [], total: 0, offset: 0 }));
    expect(() =>
      registry.register('projects.list', () => ({ items: [], total: 0, offset: 0 })),
    ).toThrow(/already registered/);
    expect(() =>
      createRegistry(rt, { 'projects.list': () => ({ items: [], total: 0, offset: 0 }) }),
    ).toThrow(/already registered/);
  });

  it('registering a name outside the contract throws', async () => {
    const { rt } = await ready();
    const registry = new CommandRegistry(rt);
    expect(() => registry.register('projects.delete' as CommandName, () => null as never)).toThrow(
      /not in the command contract/,
    );
    expect(() =>
      registry.registerAll({ 'backups.nuke': () => null } as unknown as HandlerMap),
    ).toThrow(/not in the command contract/);
  });

  it('createRegistry wires every contract command', async () => {
    const { registry } = await ready();
    expect(registry.missing()).toEqual([]);
    for (const name of COMMAND_NAMES) expect(registry.has(name), name).toBe(true);
  });

  it('createRegistry refuses to start with a command left unhandled', async () => {
    const { rt } = await ready();
    expect(() => createRegistry(rt, {})).toThrow(/dialog\.openFile/);
  });

  it('the test inputs cover every command', () => {
    expect(Object.keys(VALID_INPUTS).sort()).toEqual([...COMMAND_NAMES].sort());
  });
});

describe('dispatch', () => {
  it.each(['projects.delete', '', 42, null, '__proto__', 'constructor', 'toString'])(
    'an unknown command (%j) is UNKNOWN_COMMAND',
    async (name) => {
      const { registry } = await ready();
      expectFail(await registry.dispatch(name, {}), 'UNKNOWN_COMMAND');
    },
  );

  const BAD: [CommandName, unknown, string][] = [
    ['projects.create', { name: 42 }, 'name'],
    ['projects.create', { name: '' }, 'name'],
    ['projects.create', { name: '   ' }, 'name'],
    ['projects.create', { name: 'bell\u0007' }, 'name'],
    ['projects.create', { name: 'line\nbreak' }, 'name'],
    ['projects.create', { name: 'x'.repeat(121) }, 'name'],
    ['projects.create', { name: 'ok', description: 7 }, 'description'],
    ['projects.create', 'shop', ''],
    ['projects.update', { id: '1', name: 'x' }, 'id'],
    ['projects.update', { id: 0 }, 'id'],
    ['projects.get', { id: 1.5 }, 'id'],
    ['projects.list', { limit: 0 }, 'limit'],
    ['projects.list', { limit: 501 }, 'limit'],
    ['projects.list', { offset: -1 }, 'offset'],
    ['environments.create', { projectId: 1, name: 'e', kind: 'prod' }, 'kind'],
    ['snapshots.create', { environmentId: 1, content: [1, 2] }, 'content'],
    [
      'deployments.create',
      { environmentId: 1, version: '1', accessUrl: 'javascript:alert(1)' },
      'accessUrl',
    ],
    [
      'deployments.create',
      { environmentId: 1, version: '1', accessUrl: 'file:///etc/passwd' },
      'accessUrl',
    ],
    ['deployments.create', { environmentId: 1, version: '1', accessUrl: 'not a url' }, 'accessUrl'],
    ['deployments.setStatus', { id: 1, status: 'exploded' }, 'status'],
    ['deployments.appendLog', { id: 1, message: '' }, 'message'],
    ['deployments.list', { status: 'done' }, 'status'],
    ['demo.seed', { projects: 0 }, 'projects'],
    ['dialog.saveFile', { defaultName: '../../etc/passwd' }, 'defaultName'],
  ];

  it.each(BAD)('%s %j → BAD_INPUT at "%s", nothing changed', async (name, input, at) => {
    const { db, registry, rt } = await seeded();
    const events = recordEvents(rt);
    const before = fingerprint(db);
    const error = expectFail(await registry.dispatch(name, input), 'BAD_INPUT');
    const issues = (error.details as { issues: { path: string }[] }).issues;
    expect(issues.map((i) => i.path)).toContain(at);
    expect(error.message).toMatch(/^Invalid /);
    expect(fingerprint(db)).toEqual(before);
    expect(events).toEqual([]);
  });

  it.each([
    ['projects.create', { name: 'ok', extra: 1 }],
    ['projects.list', { query: 'x', sort: 'name' }],
    ['app.status', { verbose: true }],
    ['deployments.create', { environmentId: 1, version: '1', id: 99 }],
  ] as [CommandName, Record<string, unknown>][])(
    '%s with an unknown key is BAD_INPUT naming it, nothing changed',
    async (name, input) => {
      const { db, registry } = await seeded();
      const before = fingerprint(db);
      const error = expectFail(await registry.dispatch(name, input), 'BAD_INPUT');
      const extra = Object.keys(input).find(
        (k) => !['name', 'query', 'environmentId', 'version'].includes(k),
      )!;
      expect(JSON.stringify(error)).toContain(extra);
      expect(fingerprint(db)).toEqual(before);
    },
  );

  it('names are trimmed before they are stored', async () => {
    const { registry } = await ready();
    const p = expectOk(await registry.dispatch('projects.create', { name: '  spaced  ' }));
    expect(p).toMatchObject({ name: 'spaced' });
  });

  it('http and https access URLs are accepted', async () => {
    const { registry } = await seeded();
    for (const accessUrl of ['http://127.0.0.1:8080/x', 'https://shop.example/']) {
      expect(
        expectOk(
          await registry.dispatch('deployments.create', {
            environmentId: 1,
            version: '2',
            accessUrl,
          }),
        ),
      ).toMatchObject({
        accessUrl,
      });
    }
  });

  it('the browser host has no native dialogs: UNSUPPORTED_HERE', async () => {
    const { registry } = await ready();
    expectFail(await registry.dispatch('dialog.openFile', {}), 'UNSUPPORTED_HERE');
  });
});

describe('a refused data directory', () => {
  async function refused() {
    const dir = world.dir();
    fs.writeFileSync(dataDirLayout(dir).db, 'not a database at all, just some text\n'.repeat(20));
    const rt = await startTestRuntime(world, dir);
    expect(rt.startup).toMatchObject({ state: 'refused', code: 'NOT_A_STATEWARD_DB' });
    return { rt, registry: testRegistry(rt) };
  }

  it('app.startup still answers, with the reason', async () => {
    const { registry } = await refused();
    expect(expectOk(await registry.dispatch('app.startup', {}))).toMatchObject({
      state: 'refused',
      code: 'NOT_A_STATEWARD_DB',
    });
    // The rollback path needs backups, restores, drills and secrets status (and app.team, who
    // upgraded a refused team schema; automation.status, whether a promote holds automation
    // off); nothing that writes live data.
    expect(expectOk(await registry.dispatch('automation.status', {}))).toMatchObject({
      paused: false,
      pause: null,
    });
    for (const name of AVAILABLE_WHEN_REFUSED) {
      expect(name, name).toMatch(
        /^(app\.(startup|team)$|automation\.status$|backups\.list|restores\.|drills\.|secrets\.(status|unlock)|dialog\.openFile|projects\.(list|get)|environments\.(list|get)|snapshots\.list|deployments\.(list|get)|audit\.list)/,
      );
    }
  });

  it('reads of live data without a restored copy are STORE_NOT_READY', async () => {
    const { registry } = await refused();
    for (const name of ['projects.list', 'deployments.list', 'audit.list'] as const) {
      expectFail(await registry.dispatch(name, {}), 'STORE_NOT_READY');
    }
  });

  it('every other command is STORE_NOT_READY', async () => {
    const { registry } = await refused();
    const others = COMMAND_NAMES.filter((n) => !AVAILABLE_WHEN_REFUSED.includes(n));
    expect(others.length).toBeGreaterThan(10);
    for (const name of others) {
      expect(name in VALID_INPUTS, `VALID_INPUTS lacks ${name}`).toBe(true);
      const error = expectFail(
        await registry.dispatch(name, VALID_INPUTS[name as keyof typeof VALID_INPUTS]),
        'STORE_NOT_READY',
      );
      expect(error.message, name).toContain('not a SQLite database');
    }
  });
});

describe('unexpected errors', () => {
  it('a handler throwing a plain Error → INTERNAL without its message; the log has the stack', async () => {
    const { rt } = await ready();
    const registry = new CommandRegistry(rt);
    registry.register('projects.list', function exploding() {
      throw new Error('secret-internal-detail /root/.ssh/id_rsa');
    });
    const error = expectFail(await registry.dispatch('projects.list', {}), 'INTERNAL');
    expect(JSON.stringify(error)).not.toContain('secret-internal-detail');
    expect(error.hint).toContain(rt.logger.file!);
    const log = fs.readFileSync(rt.logger.file!, 'utf8');
    expect(log).toContain('secret-internal-detail');
    expect(log).toMatch(/at exploding/);
  });

  it('a failure inside an audited write rolls the change back (same transaction)', async () => {
    const { db, registry, rt } = await ready();
    db.exec(
      `CREATE TRIGGER audit_breaks BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit disk on fire'); END`,
    );
    const events = recordEvents(rt);
    const before = fingerprint(db);
    const error = expectFail(
      await registry.dispatch('projects.create', { name: 'half' }),
      'INTERNAL',
    );
    expect(error.message).not.toContain('disk on fire');
    const after = fingerprint(db);
    expect({ ...after, 'total_changes()': 0 }).toEqual({ ...before, 'total_changes()': 0 });
    expect(db.prepare(`SELECT count(*) AS n FROM projects`).get()).toEqual({ n: 0 });
    expect(events).toEqual([]);
    expect(fs.readFileSync(rt.logger.file!, 'utf8')).toContain('audit disk on fire');
  });
});

describe('audited writes', () => {
  const WRITES: [CommandName, unknown, string][] = [
    ['projects.create', { name: 'second' }, 'project.created'],
    ['projects.update', { id: 1, description: 'new words' }, 'project.updated'],
    ['environments.create', { projectId: 1, name: 'staging' }, 'environment.created'],
    ['environments.update', { id: 1, kind: 'staging' }, 'environment.updated'],
    ['snapshots.create', { environmentId: 1, content: { replicas: 3 } }, 'snapshot.created'],
    [
      'deployments.create',
      { environmentId: 1, version: '2.0.0', status: 'running' },
      'deployment.recorded',
    ],
    ['deployments.setStatus', { id: 1, status: 'running' }, 'deployment.status'],
  ];

  it.each(WRITES)(
    '%s writes exactly one audit entry (%s) naming this process',
    async (name, input, action) => {
      const { db, registry, rt } = await seeded();
      const events = recordEvents(rt);
      const auditBefore = (
        db.prepare(`SELECT max(id) AS id FROM audit_log`).get() as { id: number }
      ).id;
      expectOk(await registry.dispatch(name, input));
      const added = db.prepare(`SELECT actor, action FROM audit_log WHERE id > ?`).all(auditBefore);
      expect(added).toEqual([{ actor: rt.actor, action }]);
      expect(events.filter((e) => e.event === 'data.changed').map((e) => e.payload)).toContainEqual(
        { area: 'audit' },
      );
    },
  );

  it.each([
    ['projects.create', { name: 'SHOP' }, 'CONFLICT'],
    ['projects.update', { id: 99, name: 'x' }, 'NOT_FOUND'],
    ['environments.create', { projectId: 1, name: 'PROD' }, 'CONFLICT'],
    ['environments.create', { projectId: 42, name: 'x' }, 'NOT_FOUND'],
    ['snapshots.create', { environmentId: 42, content: {} }, 'NOT_FOUND'],
    ['deployments.create', { environmentId: 42, version: '1' }, 'NOT_FOUND'],
    ['deployments.setStatus', { id: 1, status: 'rolled_back' }, 'INVALID_TRANSITION'],
  ] as [CommandName, unknown, string][])(
    'a failing %s (%j → %s) writes nothing, no audit, no event',
    async (name, input, code) => {
      const { db, registry, rt } = await seeded();
      const events = recordEvents(rt);
      const before = fingerprint(db);
      expectFail(await registry.dispatch(name, input), code);
      expect(fingerprint(db)).toEqual(before);
      expect(events).toEqual([]);
    },
  );
});

describe('demo.seed', () => {
  it('fills an empty data dir, reporting progress and data.changed', async () => {
    const { db, registry, rt } = await ready();
    const events = recordEvents(rt);
    const result = expectOk(
      await registry.dispatch('demo.seed', { projects: 2, deployments: 6000 }),
    );
    expect(result).toEqual({ projects: 2, environments: 6, deployments: 6000 });
    expect(db.prepare(`SELECT count(*) AS n FROM deployments`).get()).toEqual({ n: 6000 });
    const progress = events
      .filter((e) => e.event === 'progress')
      .map((e) => e.payload as Events['progress']);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(
      progress.every(
        (p) => p.op === 'demo.seed' && p.total === 6000 && p.opId === progress[0]!.opId,
      ),
    ).toBe(true);
    expect(progress.map((p) => p.done)).toEqual(
      [...progress.map((p) => p.done)].sort((a, b) => a - b),
    );
    expect(progress.at(-1)).toMatchObject({ done: 6000, etaMs: 0 });
    const areas = events
      .filter((e) => e.event === 'data.changed')
      .map((e) => (e.payload as Events['data.changed']).area);
    expect(areas).toEqual(expect.arrayContaining(['projects', 'deployments', 'audit']));
    const status = expectOk(await registry.dispatch('app.status', {}));
    expect(status).toMatchObject({
      empty: false,
      counts: { projects: 2, environments: 6, deployments: 6000 },
    });
  });

  it('a data dir that already has projects is refused: DEMO_NEEDS_EMPTY_DATA_DIR, nothing changed', async () => {
    const { db, registry, rt } = await seeded();
    const events = recordEvents(rt);
    const before = fingerprint(db);
    expectFail(
      await registry.dispatch('demo.seed', { projects: 1, deployments: 10 }),
      'DEMO_NEEDS_EMPTY_DATA_DIR',
    );
    expect(fingerprint(db)).toEqual(before);
    expect(events).toEqual([]);
  });
});
