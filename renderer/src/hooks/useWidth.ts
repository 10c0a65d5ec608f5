// The rendered width of an element, kept current with a ResizeObserver (null until
// measured), so a table can drop a column instead of pushing it out of sight. Returns
// a callback ref, so an element that appears later (after loading) is measured too.
import { useEffect, useState } from 'react';

export function useWidth<E extends HTMLElement>(): [(el: E | null) => void, number | null] {
  const [el, setEl] = useState<E | null>(null);
  const [width, setWidth] = useState<number | null>(null);
  useEffect(() => {
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.round(entry.contentRect.width));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [el]);
  return [setEl, width];
}
