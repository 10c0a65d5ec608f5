// Encrypted secret rows. Values never pass through here in plain text: callers
// seal and open them with the data key (core/secrets/service.ts).
import { sql } from 'kysely';
import type { RawBuilder, Selectable } from 'kysely';
import type { SecretsTable } from '../schema.ts';
import type { Query, Sql } from '../sql.ts';
import { assertChanged, binaryOrder, exec, folded, row, rows, tableExists } from '../sql.ts';

// A secret row exactly as stored: the secrets table's columns (schema.ts).
export type SecretRow = Selectable<SecretsTable>;

export function* secretsOf(c: Sql, environmentId: number): Query<SecretRow[]> {
  return yield* rows(
    c.k
      .selectFrom('secrets')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .orderBy(folded(c, 'name')),
  );
}

export function* allSecrets(
  c: Sql,
): Query<(SecretRow & { environment_name: string; project_name: string })[]> {
  // A restored copy from before secrets existed has no table: no secrets.
  if (!(yield* tableExists(c, 'secrets'))) return [];
  return yield* rows(
    c.k
      .selectFrom('secrets as s')
      .innerJoin('environments as e', 'e.id', 's.environment_id')
      .innerJoin('projects as p', 'p.id', 'e.project_id')
      .selectAll('s')
      .select(['e.name as environment_name', 'p.name as project_name'])
      .orderBy(binaryOrder(c, 'p.name'))
      .orderBy(binaryOrder(c, 'e.name'))
      .orderBy(binaryOrder(c, 's.name')),
  );
}

export function* secretById(c: Sql, id: string): Query<SecretRow | undefined> {
  return yield* row(c.k.selectFrom('secrets').selectAll().where('id', '=', id));
}

export function* secretByName(
  c: Sql,
  environmentId: number,
  name: string,
): Query<SecretRow | undefined> {
  return yield* row(
    c.k
      .selectFrom('secrets')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('name', '=', name),
  );
}

export function* upsertSecret(c: Sql, r: SecretRow): Query<void> {
  const changed = yield* exec(
    c.k
      .insertInto('secrets')
      .values({
        id: r.id,
        environment_id: r.environment_id,
        name: r.name,
        key_id: r.key_id,
        iv: r.iv,
        tag: r.tag,
        ciphertext: r.ciphertext,
        created_at: r.created_at,
        updated_at: r.updated_at,
      })
      .onConflict((oc) =>
        oc.column('id').doUpdateSet((eb) => ({
          key_id: eb.ref('excluded.key_id'),
          iv: eb.ref('excluded.iv'),
          tag: eb.ref('excluded.tag'),
          ciphertext: eb.ref('excluded.ciphertext'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      ),
  );
  assertChanged(changed, 1, 'secret');
}

/** As many zero bytes as `column` holds. */
function zeroed(c: Sql, column: 'iv' | 'tag' | 'ciphertext'): RawBuilder<Buffer> {
  return c.dialect === 'sqlite'
    ? sql<Buffer>`zeroblob(length(${sql.ref(column)}))`
    : sql<Buffer>`decode(repeat('00', length(${sql.ref(column)})), 'hex')`;
}

/** Delete a secret, its iv, tag and ciphertext overwritten with zeros first (in place, same sizes). */
export function* deleteSecret(c: Sql, id: string): Query<void> {
  assertChanged(
    yield* exec(
      c.k
        .updateTable('secrets')
        .set({ iv: zeroed(c, 'iv'), tag: zeroed(c, 'tag'), ciphertext: zeroed(c, 'ciphertext') })
        .where('id', '=', id),
    ),
    1,
    'secret',
  );
  assertChanged(yield* exec(c.k.deleteFrom('secrets').where('id', '=', id)), 1, 'secret');
}

export function* countSecrets(c: Sql): Query<number> {
  if (!(yield* tableExists(c, 'secrets'))) return 0;
  const r = yield* row(c.k.selectFrom('secrets').select((eb) => eb.fn.countAll<number>().as('n')));
  return r?.n ?? 0;
}
