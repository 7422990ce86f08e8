// cache (book page 25): the reference numbers on screen, against theory; controls; the live cache.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'cache';
const num = (s) => Number(s.replace(/[\u2009\u00a0\s%]/g, '').replace(/(ms|s|\/s)$/, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="hit_ratio"] .value')).toBeVisible();
}

test('cache: the default run on screen, number for number with the native core, and near theory', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  expect(await value(page, 'hit_ratio')).toBe(Number((r.hit_ratio * 100).toFixed(1)));
  expect(await value(page, 'stale_fraction')).toBe(Number((r.stale_fraction * 100).toFixed(2)));
  expect(await value(page, 'latency')).toBe(Number(r.mean_latency_ms.toFixed(1)));
  await expect(page.locator('[data-metric="hit_ratio"] .sub')).toContainText(`Che (LRU) ${(r.che_hit_ratio * 100).toFixed(1)}`);
  // theory: LRU lands near Che's approximation and below the optimal static cache H(C,s)/H(N,s)
  expect(Math.abs(r.hit_ratio - r.che_hit_ratio)).toBeLessThan(0.04);
  expect(r.hit_ratio).toBeLessThan(r.optimal_hit_ratio);
  expect(r.optimal_hit_ratio).toBeCloseTo(0.6107, 3);
  // latency: hit_ms + miss ratio × store_ms, against store_ms alone
  expect(r.mean_latency_ms).toBeCloseTo(1 + (1 - r.hit_ratio) * 20, 9);
  // writes bypass the cache and nothing invalidates: some reads are stale
  expect(r.stale_fraction).toBeGreaterThan(0);
  await expect(page.locator('table[aria-label="Hit ratio against cache size"] tbody tr')).toHaveCount(r.curve.length);
  await expect(page.locator('tr.ca-sel td').first()).toHaveText('100');
  await expect(page.locator('canvas')).toHaveCount(1);
  expect(problems()).toEqual([]);
});

test('cache: invalidation removes stale reads; "No skew" brings the hit ratio down to C/N', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await metricText(page, 'stale_fraction');
  await page.locator(`#w-${slug}-invalidate`).check();
  await expect(page).toHaveURL(/invalidate=true/);
  await expect.poll(() => metricText(page, 'stale_fraction'), { timeout: 15_000 }).not.toBe(before);
  expect(await value(page, 'stale_fraction')).toBe(0);
  await page.getByRole('button', { name: 'No skew (s = 0)' }).click();
  await expect(page).toHaveURL(/zipf_s=0/);
  await ready(page);
  // uniform popularity: a cache of 10 % of the keys hits about 10 % of reads (C/N)
  await expect.poll(() => value(page, 'hit_ratio'), { timeout: 15_000 }).toBeLessThan(13);
  expect(await value(page, 'hit_ratio')).toBeGreaterThan(7);
  expect(problems()).toEqual([]);
});

test('cache: the live cache steps, plays and resets', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const live = page.locator('.live');
  const status = live.locator('.player .status');
  await expect(status).toContainText('0 requests');
  await live.getByRole('button', { name: 'Step' }).click();
  await expect(status).toContainText('1 requests');
  await expect(live.locator('.ca-last')).toContainText('key #');
  await live.getByRole('button', { name: '▶ Play' }).click();
  await expect.poll(async () => num((await status.innerText()).match(/· ([\d\u2009]+) requests/)[1]), { timeout: 10_000 }).toBeGreaterThan(3);
  await live.getByRole('button', { name: '❚❚ Pause' }).click();
  await expect(live.locator('.ca-slot').first()).toBeVisible();
  await live.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('0 requests');
  expect(problems()).toEqual([]);
});

