// Key-value settings stored as JSON, validated by the caller's schema on read.
import type { Query, Sql } from '../sql.ts';
import { exec, row } from '../sql.ts';

export function* getSetting(c: Sql, key: string): Query<unknown> {
  const r = yield* row(c.k.selectFrom('settings').select('value').where('key', '=', key));
  return r ? (JSON.parse(r.value) as unknown) : undefined;
}

export function* setSetting(c: Sql, key: string, value: unknown, now: number): Query<void> {
  yield* exec(
    c.k
      .insertInto('settings')
      .values({ key, value: JSON.stringify(value), updated_at: now })
      .onConflict((oc) =>
        oc.column('key').doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      ),
  );
}
