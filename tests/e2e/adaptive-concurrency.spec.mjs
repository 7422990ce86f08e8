// adaptive-concurrency (book page 23): the Little's-law optimum and the limits found on screen,
// a control that changes them, the live run, and the wasm export equal to the native CLI.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'adaptive-concurrency';
const num = (s) => Number(s.replace(/[\u2009\u202f\s]/g, '').replace(/[^\d.eE+-].*$/, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="limit_before"] .value')).toBeVisible();
}

test('adaptive-concurrency: the optimum is c, and the limits shown are the core\'s', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  // Little's law: limit* = c·μ × S = c slots (20 before, 10 after)
  expect(num(await metricText(page, 'optimum_before'))).toBe(20);
  expect(num(await metricText(page, 'optimum_after'))).toBe(10);
  const cli = JSON.parse(runCli(['run', slug])).report;
  const a = cli.limiters.find((l) => l.key === 'aimd');
  for (const when of ['before', 'after']) {
    const shown = await value(page, `limit_${when}`);
    expect(Math.abs(shown - a[when].avg_limit)).toBeLessThan(0.01 * a[when].avg_limit);
  }
  // AIMD saws between β·x·c and x·c: about 1.5 × 20 × (1 + 0.9) / 2 = 28.5 before the drop,
  // 14.25 after it; and it follows the drop down
  expect(a.before.avg_limit).toBeGreaterThan(28.5 * 0.85);
  expect(a.before.avg_limit).toBeLessThan(28.5 * 1.15);
  expect(a.after.avg_limit).toBeGreaterThan(14.25 * 0.85);
  expect(a.after.avg_limit).toBeLessThan(14.25 * 1.15);
  await expect(page.locator('canvas')).toHaveCount(3);
  await expect(page.locator('table.data tbody tr')).toHaveCount(6);
  expect(problems()).toEqual([]);
});

test('adaptive-concurrency: choosing Vegas changes the metrics; it holds a queue of α to β', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await metricText(page, 'limit_before');
  await page.locator(`#w-${slug}-limiter`).selectOption('vegas');
  await expect(page).toHaveURL(/limiter=vegas/);
  await expect.poll(() => metricText(page, 'limit_before'), { timeout: 15_000 }).not.toBe(before);
  await ready(page);
  // Vegas aims for a queue between α = 3·log10(limit) and β = 6·log10(limit): limit ≈ c + 4…8
  const v = await value(page, 'limit_before');
  const l = Math.max(1, Math.log10(v));
  expect(v - 20).toBeGreaterThan(3 * l - 2);
  expect(v - 20).toBeLessThan(6 * l + 2);
  expect(problems()).toEqual([]);
});

test('adaptive-concurrency: the live run steps and plays', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const status = page.locator('.live .player .status');
  await expect(status).toContainText('0 arrived');
  for (let i = 0; i < 5; i++) await page.getByRole('button', { name: 'Step' }).click();
  await expect(status).not.toContainText(' 0 arrived');
  await expect(page.locator('svg.ac-system')).toHaveAttribute('aria-label', /in flight/);
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('0 arrived');
  expect(problems()).toEqual([]);
});

test('adaptive-concurrency: the browser (wasm) export equals the native CLI byte for byte', async ({ page }) => {
  const knobs = { limiter: 'vegas', capacity_before: '8', capacity_after: '16', change_at_s: '4', service_ms: '30', offered_rate: '700', duration_s: '8' };
  const seed = 77;
  await page.goto(`/widget/${slug}?${new URLSearchParams({ ...knobs, seed: String(seed) })}`);
  await ready(page);
  await expect(page.getByRole('button', { name: 'Export JSON' })).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const browser = fs.readFileSync(await download.path(), 'utf8');
  const args = ['run', slug, '--seed', String(seed), ...Object.entries(knobs).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
  expect(browser).toBe(runCli(args));
});
