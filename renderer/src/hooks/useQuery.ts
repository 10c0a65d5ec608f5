// Loads a command's result for a key; refetches when the key or revision
// changes, keeping the last value on screen while a refresh is in flight.
import { useCallback, useEffect, useEffectEvent, useState } from 'react';
import type { AppErrorShape, Result } from '../../../shared/errors.ts';

export interface Query<T> {
  /** The value for this key (possibly from an older revision while refreshing). */
  data: T | undefined;
  error: AppErrorShape | null;
  loading: boolean;
  reload(): void;
}

interface Settled<T> {
  key: string;
  stamp: string;
  result: Result<T>;
}

export function useQuery<T>(key: string, run: () => Promise<Result<T>>, revision = 0): Query<T> {
  const [nonce, setNonce] = useState(0);
  const [settled, setSettled] = useState<Settled<T> | null>(null);
  const [lastGood, setLastGood] = useState<{ key: string; value: T } | null>(null);
  const stamp = `${key}\u0000${revision}\u0000${nonce}`;
  const fetcher = useEffectEvent(run);

  useEffect(() => {
    let live = true;
    fetcher().then(
      (result) => {
        if (!live) return;
        setSettled({ key, stamp, result });
        if (result.ok) setLastGood({ key, value: result.value });
      },
      (e: unknown) => {
        if (!live) return;
        setSettled({
          key,
          stamp,
          result: { ok: false, error: { code: 'INTERNAL', message: String(e) } },
        });
      },
    );
    return () => {
      live = false;
    };
  }, [key, stamp]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const current = settled?.stamp === stamp ? settled : null;
  const error = current && !current.result.ok ? current.result.error : null;
  const data = lastGood?.key === key ? lastGood.value : undefined;
  return { data: error ? undefined : data, error, loading: current === null, reload };
}
