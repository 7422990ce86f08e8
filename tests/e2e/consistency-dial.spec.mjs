// consistency-dial (book page 28): reference numbers on screen, the dial as a control, live faults.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'consistency-dial';
const value = async (page, key) => (await page.locator(`[data-metric="${key}"] .value`).first().innerText()).trim();
// Operation labels in the history drawing that overlap one another or stick out of the drawing
// (boxes in SVG units); the lane labels ("client n") are left out.
const overlappingLabels = (page) => page.locator('svg.cd-history').evaluate((svg) => {
  const boxes = [...svg.querySelectorAll('g > text')].map((t) => ({ s: t.textContent, b: t.getBBox() }));
  const hit = (p, q) => p.x < q.x + q.width && q.x < p.x + p.width && p.y < q.y + q.height && q.y < p.y + p.height;
  const view = svg.viewBox.baseVal;
  const out = boxes.filter(({ b }) => b.x < 0 || b.x + b.width > view.width).map((p) => `${p.s} / edge`);
  boxes.forEach((p, i) => boxes.slice(i + 1).forEach((q) => { if (hit(p.b, q.b)) out.push(`${p.s} / ${q.s}`); }));
  return { labels: boxes.length, out };
});

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="linearizable"] .value')).toBeVisible();
}

test('consistency-dial: the book settings on screen match the core; linearizable, no stale reads, unavailable while the primary is cut off', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  const f = r.figures;
  expect(r.promised).toBe('linearizable');
  expect(f.linearizable.verdict).toBe('yes');
  expect(f.stale_reads).toBe(0);
  expect(f.availability_partition).toBe(0);
  expect(await metricText(page, 'promised')).toBe('linearizable');
  expect(await value(page, 'linearizable')).toBe('yes');
  expect(await value(page, 'stale_rate')).toBe('0.0\u00a0%');
  expect(await value(page, 'availability_partition')).toBe('0\u00a0%');
  const m = f.messages_per_op;
  expect(await value(page, 'messages_per_op')).toBe(m >= 100 ? m.toFixed(0) : m >= 10 ? m.toFixed(1) : m.toFixed(2));
  // eventual reads from the secondaries stay available in the same run
  const ev = r.levels.find((l) => l.level === 'eventual').figures;
  expect(ev.availability_partition).toBeGreaterThan(0);
  await expect(page.locator('canvas')).toHaveCount(2);
  // the history's operation labels never sit on one another
  const labels = await overlappingLabels(page);
  expect(labels.labels).toBe(r.history.length);
  expect(labels.out).toEqual([]);
  expect(problems()).toEqual([]);
});

test('consistency-dial: turning the dial to eventual gives stale reads and a failed check', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?partition=none`);
  await ready(page);
  expect(await value(page, 'stale_rate')).toBe('0.0\u00a0%');
  await page.locator(`#w-${slug}-level`).selectOption('eventual');
  await expect(page).toHaveURL(/level=eventual/);
  await expect.poll(() => value(page, 'linearizable'), { timeout: 15_000 }).toBe('no');
  const r = JSON.parse(runCli(['run', slug, '--set', 'partition=none', '--set', 'level=eventual'])).report;
  expect(r.figures.stale_reads).toBeGreaterThan(0);
  expect(await value(page, 'stale_rate')).toBe(`${(r.figures.stale_rate * 100).toFixed(1)}\u00a0%`);
  expect(await metricText(page, 'promised')).toBe('eventual');
  expect((await overlappingLabels(page)).out).toEqual([]);
  // a live fault: crash the primary while the store plays
  await page.getByRole('button', { name: 'Crash the primary' }).click();
  await page.getByRole('button', { name: /Play/ }).click();
  await expect(page.getByRole('button', { name: 'Restart the primary' })).toBeVisible({ timeout: 15_000 });
  expect(problems()).toEqual([]);
});
