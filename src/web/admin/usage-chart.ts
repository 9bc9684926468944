/**
 * The usage chart: hours per day as bars stacked by profile, as inline SVG rendered here (no
 * script, no chart library). Colours are presentation attributes, not style attributes,
 * which the Content-Security-Policy would block. The same numbers are in a table next to it
 * for screen readers and for reading exact values.
 */
import { html } from 'hono/html';
import { formatDay, formatHours } from '../pages/format.ts';
import type { Usage } from './usage.ts';

/** Distinguishable for common colour-vision deficiencies (Okabe–Ito palette). */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
];

export function colourOf(profiles: readonly string[], profile: string): string {
  return PALETTE[Math.max(0, profiles.indexOf(profile)) % PALETTE.length] ?? '#0072B2';
}

/** A round axis maximum at or above `max`: 1, 2, 5, 10, 20, 50, … */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

export function usageChart(usage: Usage, labels: ReadonlyMap<string, string>) {
  const width = 720;
  const height = 260;
  const pad = { left: 44, right: 12, top: 12, bottom: 36 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const dayTotals = usage.days.map((d) =>
    [...d.byProfile.values()].reduce((sum, c) => sum + c.hours, 0),
  );
  const max = niceMax(Math.max(0, ...dayTotals));
  const slot = plotW / Math.max(1, usage.days.length);
  const barW = Math.max(2, slot * 0.7);
  const y = (hours: number) => pad.top + plotH - (hours / max) * plotH;
  const labelEvery = Math.ceil(usage.days.length / 10);
  const ticks = [0, max / 2, max];
  const round = (n: number) => Math.round(n * 10) / 10;
  return html`<svg
    class="chart"
    viewBox="0 0 ${width} ${height}"
    role="img"
    aria-labelledby="chart-title chart-desc"
    xmlns="http://www.w3.org/2000/svg"
  >
    <title id="chart-title">Server hours per day, by environment</title>
    <desc id="chart-desc">Stacked bars, one per day; the table below lists the same numbers.</desc>
    ${ticks.map(
      (t) =>
        html`<g>
          <line
            x1="${pad.left}"
            x2="${width - pad.right}"
            y1="${y(t)}"
            y2="${y(t)}"
            stroke="#d8dde6"
          />
          <text x="${pad.left - 6}" y="${y(t) + 4}" text-anchor="end" class="axis"
            >${formatHours(t)}</text
          >
        </g>`,
    )}
    ${usage.days.map((d, i) => {
      const x = pad.left + i * slot + (slot - barW) / 2;
      let base = 0;
      return html`<g>
        ${usage.profiles.map((p) => {
          const hours = d.byProfile.get(p)?.hours ?? 0;
          if (hours <= 0) return '';
          const top = y(base + hours);
          const h = y(base) - top;
          base += hours;
          return html`<rect
            x="${round(x)}"
            y="${round(top)}"
            width="${round(barW)}"
            height="${round(Math.max(h, 0.5))}"
            fill="${colourOf(usage.profiles, p)}"
            ><title>${formatDay(d.day)}: ${labels.get(p) ?? p}, ${formatHours(hours)}</title></rect
          >`;
        })}
        ${
          i % labelEvery === 0
            ? html`<text
                x="${round(x + barW / 2)}"
                y="${height - pad.bottom + 18}"
                text-anchor="middle"
                class="axis"
                >${formatDay(d.day)}</text
              >`
            : ''
        }
      </g>`;
    })}
  </svg>`;
}
