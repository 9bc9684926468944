/**
 * What every browser test does on each page it visits: screenshots at desktop and phone
 * widths into artifacts/, and an axe-core accessibility check that fails on serious or
 * critical violations. axe is evaluated through the DevTools protocol, so the hub's
 * Content-Security-Policy (no inline scripts) stays in force during the tests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { artifactsDir } from '../helpers/chromium.ts';

const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Serious and critical axe violations on the page as it is now (WCAG 2.1 A and AA rules). */
export async function accessibilityProblems(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  // A string, not a function: this project compiles without the DOM library.
  const violations = await page.evaluate<AxeViolation[]>(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }).then((r) => r.violations)`,
  );
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function assertAccessible(page: Page, what: string): Promise<void> {
  const problems = await accessibilityProblems(page);
  assert.deepEqual(
    problems.map(
      (v) =>
        `${v.id} (${v.impact ?? ''}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
    ),
    [],
    `accessibility problems on ${what}`,
  );
}

/**
 * Screenshots the page at 1280 px and at 375 px (full page), checks it at both widths for
 * accessibility and for content wider than the phone screen, then restores the viewport.
 */
export async function checkPage(page: Page, name: string): Promise<void> {
  const original = page.viewportSize() ?? { width: 1280, height: 800 };
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(artifactsDir, `${name}-1280.png`), fullPage: true });
  await assertAccessible(page, `${name} at 1280 px`);
  await page.setViewportSize({ width: 375, height: 740 });
  await page.screenshot({ path: join(artifactsDir, `${name}-375.png`), fullPage: true });
  const overflow = await page.evaluate<number>(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );
  assert.ok(overflow <= 1, `${name} scrolls sideways by ${overflow} px at 375 px`);
  await assertAccessible(page, `${name} at 375 px`);
  await page.setViewportSize(original);
}
