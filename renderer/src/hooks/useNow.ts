// The current time, re-read every `ms` so relative times ("3 min ago") stay true
// while a screen is open.
import { useEffect, useState } from 'react';

export function useNow(ms = 15_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
