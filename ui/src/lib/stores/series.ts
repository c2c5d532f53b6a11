// Small fixed-size series for the Health page's live charts (pure, tested).

/** Keeps the last `size` values; memory stays fixed however long the page is open. */
export class Series {
  readonly values: number[] = [];
  constructor(readonly size: number) {}

  push(v: number): void {
    this.values.push(v);
    if (this.values.length > this.size) this.values.shift();
  }

  get last(): number | undefined {
    return this.values[this.values.length - 1];
  }
}

/** Per-second rate from two samples of a monotonically increasing counter (0 on a reset). */
export function rate(prev: number | undefined, next: number, seconds: number): number {
  if (prev === undefined || seconds <= 0 || next < prev) return 0;
  return (next - prev) / seconds;
}

/** An SVG polyline `points` attribute scaling `values` into a `width`×`height` box. */
export function sparkPoints(values: number[], width: number, height: number): string {
  if (values.length === 0) return "";
  const max = Math.max(...values, 1);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - (v / max) * (height - 2) - 1).toFixed(1)}`)
    .join(" ");
}
