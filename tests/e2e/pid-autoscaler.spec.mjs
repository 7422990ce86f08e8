// pid-autoscaler (book page 32): the reference numbers on screen, the book's controller measured
// against the corrected PID, a control that changes a metric, and the live loop with its spike.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole } from './helpers.mjs';

const slug = 'pid-autoscaler';
const num = (s) => Number(s.replace(/[\u2009\u00a0\s]/g, '').replace(/(pts|min|inst·min|%)$/, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="settling"] .value')).toBeVisible();
}

test('pid-autoscaler: the default run on screen, number for number with the native core', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  const o = r.outcomes[r.shown];
  expect(o.controller).toBe('pid');
  expect(await value(page, 'settling')).toBeCloseTo(o.settling_min, 1);
  expect(await value(page, 'instance_minutes')).toBe(Math.round(o.instance_minutes));
  expect(await value(page, 'overshoot')).toBeCloseTo(o.overshoot_pp, 1);
  // the corrected PID holds the target; the fleet the new load needs, 1500 / (50 × 0.7) → 43
  expect(r.initial_instances).toBe(29);
  expect(r.needed_final).toBe(43);
  expect(Math.abs(o.steady_error_pp)).toBeLessThan(3.5);
  // the book's code as printed scales a hot fleet down, to the minimum, and drops requests
  const book = r.outcomes.find((x) => x.controller === 'book');
  expect(book.final_instances).toBe(2);
  expect(book.dropped_fraction).toBeGreaterThan(0.5);
  await expect(page.locator('table[aria-label="Controllers compared"] tbody tr')).toHaveCount(4);
  await expect(page.locator('canvas')).toHaveCount(3);
  expect(problems()).toEqual([]);
});

test('pid-autoscaler: P only leaves a steady-state error; the book\'s controller drops requests', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await value(page, 'steady_error');
  await page.getByRole('button', { name: 'P only: an error that stays' }).click();
  await expect.poll(async () => value(page, 'steady_error'), { timeout: 10_000 }).toBeGreaterThan(5);
  expect(Math.abs(before)).toBeLessThan(3.5);
  await page.getByRole('button', { name: "The book's code, as printed" }).click();
  await expect.poll(async () => value(page, 'above_slo'), { timeout: 10_000 }).toBeGreaterThan(30);
  expect(problems()).toEqual([]);
});

test('pid-autoscaler: the live loop steps, takes a spike, and resets', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const live = page.locator('.live');
  const status = live.locator('.player .status');
  await expect(status).toContainText('t = 0.0 min');
  await live.getByRole('button', { name: 'Step' }).click();
  await expect(status).toContainText('t = 0.5 min');
  await live.getByRole('button', { name: /Spike now/ }).click();
  await expect(live.locator('[data-metric="live_integral"]')).toContainText('spike running');
  await live.getByRole('button', { name: 'Step' }).click();
  await expect(status).toContainText(/load 1[\u2009]?[45]\d\d req\/s/);
  await live.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('t = 0.0 min');
  expect(problems()).toEqual([]);
});
