// A one-line progress report on a terminal (positions done of the head, rate, ETA), redrawn
// at most five times a second; silent when the stream is not a terminal (scripts, pipes).
export const progressLine = (out: NodeJS.WriteStream, what: string) => {
  const started = Date.now();
  let drawn = 0;
  let first: number | undefined;
  const draw = (position: number, head: number, count: number, final = false): void => {
    if (!out.isTTY) return;
    const now = Date.now();
    if (!final && now - drawn < 200) return;
    drawn = now;
    first ??= position;
    const seconds = Math.max(0.001, (now - started) / 1000);
    const rate = count / seconds;
    const perSecond = (position - first) / seconds;
    const left = head - position;
    const eta = perSecond > 0 && left > 0 ? `${Math.ceil(left / perSecond)} s` : final ? 'done' : '?';
    const pct = head === 0 ? 100 : Math.min(100, (100 * position) / head);
    const bar = '#'.repeat(Math.round(pct / 4)).padEnd(25, '.');
    out.write(`\r[${bar}] ${pct.toFixed(1)}%  ${String(count)} ${what}  ${Math.round(rate)}/s  ETA ${eta} `);
    if (final) out.write('\n');
  };
  return { draw };
};
