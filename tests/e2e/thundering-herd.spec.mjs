// thundering-herd (book page 22): the reference numbers on screen, a control, the live fleet.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'thundering-herd';
const num = (s) => Number(s.replace(/[\u2009\s]/g, '').replace(/q\/s$/, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="baseline_peak"] .value')).toBeVisible();
}

test('thundering-herd: the herd and the fixes, number for number with the native core', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  expect(await value(page, 'baseline_peak')).toBe(r.baseline.peak_qps);
  expect(await value(page, 'chosen_peak')).toBe(r.chosen.peak_qps);
  expect(await value(page, 'chosen_over')).toBe(r.chosen.seconds_over);
  expect(await value(page, 'chosen_total')).toBe(r.chosen.total_queries);
  expect(await value(page, 'burst')).toBe(r.baseline.first_ttl_queries);
  // the picture the widget teaches: without fixes the database is overrun, with all four it is not
  expect(r.baseline.peak_qps).toBeGreaterThan(r.capacity_qps * 1.5);
  expect(r.chosen.peak_qps).toBeLessThan(r.capacity_qps);
  expect(r.chosen.seconds_over).toBe(0);
  // theory: pairs touched ≤ cold burst ≤ requests in the first TTL
  expect(r.baseline.first_ttl_queries).toBeGreaterThanOrEqual(r.baseline.first_ttl_pairs);
  expect(r.baseline.first_ttl_queries).toBeLessThanOrEqual(r.baseline.first_ttl_requests);
  await expect(page.locator('table.th-table tbody tr')).toHaveCount(6);
  await expect(page.locator('table.th-table tr.th-sel')).toContainText('all four');
  await expect(page.locator('canvas')).toHaveCount(1);
  expect(problems()).toEqual([]);
});

test('thundering-herd: switching a fix off changes the metrics; "No fixes at all" matches the baseline', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await metricText(page, 'chosen_peak');
  await page.locator(`#w-${slug}-stagger`).uncheck();
  await expect(page).toHaveURL(/stagger=false/);
  await expect.poll(() => metricText(page, 'chosen_peak'), { timeout: 15_000 }).not.toBe(before);
  await page.getByRole('button', { name: 'No fixes at all' }).click();
  await expect(page).toHaveURL(/coalesce=false/);
  await ready(page);
  await expect.poll(async () => value(page, 'chosen_peak'), { timeout: 15_000 }).toBe(await value(page, 'baseline_peak'));
  await expect(page.locator('table.th-table tr.th-sel')).toContainText('no fixes');
  expect(problems()).toEqual([]);
});

test('thundering-herd: the live fleet steps, plays and resets', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const live = page.locator('.live');
  const status = live.locator('.player .status');
  await expect(status).toContainText('0 requests');
  await live.getByRole('button', { name: 'Step' }).click();
  await expect(status).toContainText('1 requests');
  await expect(live.locator('.th-last')).toContainText('missed key');
  await live.getByRole('button', { name: '▶ Play' }).click();
  await expect.poll(async () => num((await status.innerText()).match(/· ([\d\u2009]+) requests/)[1]), { timeout: 10_000 }).toBeGreaterThan(50);
  await live.getByRole('button', { name: '❚❚ Pause' }).click();
  expect(await value(page, 'live_db')).toBeGreaterThan(0);
  await live.getByRole('button', { name: /Watch: your fixes/ }).click();
  await expect(status).toContainText('0 requests');
  await live.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('0 requests');
  expect(problems()).toEqual([]);
});

test('thundering-herd: garbage in the URL is clamped with a notice', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?instances=9999&keys=10&prime_keys=500&coalesce=maybe`);
  const notice = page.locator('.notice');
  await expect(notice).toContainText('Instances N must be a whole number from 1 to 200; using 200');
  await expect(notice).toContainText('Keys primed cannot exceed the 10 distinct keys');
  await ready(page);
  expect(problems()).toEqual([]);
});

