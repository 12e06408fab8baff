/**
 * Bar charts for the results (PNG, drawn with ./png.ts): groups of bars with min–max whiskers,
 * optional "ideal" markers (linear scaling), value labels and a legend.
 */
import { Canvas, type Rgb } from './png.js';
import { si } from './stats.js';

export interface Bar {
  value: number;
  min?: number;
  max?: number;
  color: Rgb;
  /** Drawn as a dashed line across the bar (e.g. perfect scaling). */
  ideal?: number;
  /** Text above the bar; default: the value with an SI suffix. */
  valueLabel?: string;
}

export interface BarGroup {
  label: string;
  bars: Bar[];
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  yLabel: string;
  groups: BarGroup[];
  legend?: { label: string; color: Rgb }[];
  notes?: string[];
}

export const COLORS = {
  tracefold: [46, 110, 190] as Rgb,
  zipkin: [232, 140, 40] as Rgb,
  grey: [150, 150, 150] as Rgb,
  axis: [60, 60, 60] as Rgb,
  grid: [228, 228, 228] as Rgb,
  text: [30, 30, 30] as Rgb,
  ideal: [200, 40, 40] as Rgb,
};

/** A round axis maximum and step (1, 2 or 5 × 10^k) giving about five ticks. */
export function niceScale(max: number): { top: number; step: number } {
  if (!(max > 0) || !Number.isFinite(max)) return { top: 1, step: 0.2 };
  const rough = max / 5;
  const pow = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].map((m) => m * pow).find((s) => s >= rough) ?? 10 * pow) as number;
  return { top: Math.ceil(max / step) * step, step };
}

export function barChart(spec: ChartSpec): Buffer {
  const W = 960;
  const H = 540;
  const left = 90;
  const right = 30;
  const top = 80;
  const legendRows = spec.legend && spec.legend.length > 0 ? 1 : 0;
  const bottom = 60 + legendRows * 24 + (spec.notes?.length ?? 0) * 16;
  const c = new Canvas(W, H + bottom - 60);
  const plotH = H - top - 60;
  const plotW = W - left - right;
  const yBase = top + plotH;

  c.text(W / 2, 16, spec.title, COLORS.text, 2, 'center');
  if (spec.subtitle) c.text(W / 2, 44, spec.subtitle, COLORS.axis, 1, 'center');

  let max = 0;
  for (const g of spec.groups) {
    for (const b of g.bars) {
      for (const v of [b.value, b.max ?? 0, b.ideal ?? 0]) if (Number.isFinite(v)) max = Math.max(max, v);
    }
  }
  const { top: yTop, step } = niceScale(max * 1.08);
  const y = (v: number): number => yBase - (Math.max(0, v) / yTop) * plotH;

  for (let v = 0; v <= yTop + step / 2; v += step) {
    const yy = Math.round(y(v));
    c.rect(left, yy, plotW, 1, COLORS.grid);
    c.text(left - 8, yy - 3, si(v), COLORS.axis, 1, 'right');
  }
  c.rect(left, top, 1, plotH + 1, COLORS.axis);
  c.rect(left, yBase, plotW, 1, COLORS.axis);
  // Y label, written horizontally above the axis (the bitmap font does not rotate).
  c.text(left - 8, top - 16, spec.yLabel, COLORS.axis, 1, 'left');

  const groupW = plotW / Math.max(1, spec.groups.length);
  spec.groups.forEach((g, gi) => {
    const gx = left + gi * groupW;
    const n = g.bars.length;
    const barW = Math.min(110, (groupW * 0.7) / Math.max(1, n));
    const startX = gx + (groupW - barW * n - (n - 1) * 8) / 2;
    g.bars.forEach((b, bi) => {
      const x = startX + bi * (barW + 8);
      if (Number.isFinite(b.value)) {
        const yy = y(b.value);
        c.rect(x, yy, barW, yBase - yy, b.color);
      }
      if (b.min !== undefined && b.max !== undefined && Number.isFinite(b.min) && Number.isFinite(b.max) && b.max > b.min) {
        const cx = x + barW / 2;
        c.rect(cx - 1, y(b.max), 2, y(b.min) - y(b.max), COLORS.axis);
        c.rect(cx - 8, y(b.max), 16, 2, COLORS.axis);
        c.rect(cx - 8, y(b.min) - 1, 16, 2, COLORS.axis);
      }
      if (b.ideal !== undefined && Number.isFinite(b.ideal)) {
        const yi = y(b.ideal);
        for (let t = 0; t < 2; t++) c.line(x - 6, yi + t, x + barW + 6, yi + t, COLORS.ideal, 4);
        c.text(x + barW + 8, yi - 3, 'IDEAL', COLORS.ideal, 1, 'left');
      }
      const label = b.valueLabel ?? (Number.isFinite(b.value) ? si(b.value) : 'N/A');
      const labelY = Math.min(y(b.max ?? b.value), y(b.value)) - 20;
      c.text(x + barW / 2, Math.max(top - 6, labelY), label, COLORS.text, 2, 'center');
    });
    c.text(gx + groupW / 2, yBase + 12, g.label, COLORS.text, 2, 'center');
  });

  let ly = yBase + 44;
  if (spec.legend && spec.legend.length > 0) {
    let lx = left;
    for (const item of spec.legend) {
      c.rect(lx, ly, 14, 14, item.color);
      c.text(lx + 20, ly, item.label, COLORS.text, 2, 'left');
      lx += 40 + Canvas.textWidth(item.label, 2);
    }
    ly += 24;
  }
  for (const note of spec.notes ?? []) {
    c.text(left, ly + 4, note, COLORS.axis, 1, 'left');
    ly += 16;
  }
  return c.png();
}
