// Small figures helpers shared by the bench sections.

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
export const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
