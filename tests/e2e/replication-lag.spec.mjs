// replication-lag (book page 25): the reference numbers on screen, a control, the live system.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'replication-lag';
const pctText = (x, d) => `${(x * 100).toFixed(d)}\u00a0%`;

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="stale"] .value')).toBeVisible();
}
const value = async (page, key) => (await page.locator(`[data-metric="${key}"] .value`).first().innerText()).trim();

test('replication-lag: stale reads on screen match the core and the M/G/∞ theory', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  const sel = r.policies.find((p) => p.policy === r.policy);
  expect(await metricText(page, 'theory_stale')).toBe(pctText(r.theory_stale, 1));
  expect(await value(page, 'stale')).toBe(pctText(sel.stale_frac, 1));
  expect(await value(page, 'ryw')).toBe(pctText(sel.ryw_frac, 2));
  expect(await value(page, 'primary_share')).toBe(pctText(sel.primary_share, 1));
  // defaults: 20 writes/s × 20 ms → 1 − e^(−0.4) = 33.0 %, and the random replica lands near it
  expect(r.theory_stale).toBeCloseTo(1 - Math.exp(-0.4), 10);
  expect(Math.abs(sel.stale_frac - r.theory_stale)).toBeLessThan(0.04);
  // the guarantees the fixes promise
  const row = (k) => r.policies.find((p) => p.policy === k);
  expect(row('primary').stale_frac).toBe(0);
  expect(row('session').ryw_frac).toBe(0);
  expect(row('monotonic').mono_frac).toBe(0);
  expect(row('sticky').mono_frac).toBe(0);
  await expect(page.locator('table.rlag-table tbody tr')).toHaveCount(6);
  await expect(page.locator('table.rlag-table tr.rlag-sel')).toContainText('random replica');
  await expect(page.locator('canvas')).toHaveCount(5);
  expect(problems()).toEqual([]);
});

test('replication-lag: choosing a policy changes the headline; strict reads are never stale', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await metricText(page, 'primary_share');
  await page.locator(`#w-${slug}-policy`).selectOption('primary');
  await expect(page).toHaveURL(/policy=primary/);
  await expect.poll(() => metricText(page, 'primary_share'), { timeout: 15_000 }).not.toBe(before);
  expect(await value(page, 'stale')).toBe(pctText(0, 1));
  expect(await value(page, 'primary_share')).toBe(pctText(1, 1));
  await page.getByRole('button', { name: 'Pause replica 1 for 4 s' }).click();
  await expect(page).toHaveURL(/pause_for_s=4/);
  await ready(page);
  await expect(page.locator('table.rlag-table tr.rlag-sel')).toContainText('sticky');
  expect(problems()).toEqual([]);
});

test('replication-lag: the live system steps, plays and resets', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const live = page.locator('.live');
  const status = live.locator('.player .status');
  await expect(status).toContainText('primary at v0');
  for (let i = 0; i < 5; i++) await live.getByRole('button', { name: 'Step' }).click();
  await expect(live.locator('.rlag-reads li').first()).toBeVisible();
  await live.locator('select').selectOption('1');
  await live.getByRole('button', { name: '▶ Play' }).click();
  await expect.poll(async () => Number((await status.innerText()).match(/primary at v(\d+)/)[1]), { timeout: 10_000 }).toBeGreaterThan(5);
  await live.getByRole('button', { name: '❚❚ Pause' }).click();
  await live.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('primary at v0');
  expect(problems()).toEqual([]);
});

test('replication-lag: garbage in the URL is clamped with a notice', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?replicas=9&policy=psychic&pause_for_s=2&pause_from_s=50`);
  const notice = page.locator('.notice');
  await expect(notice).toContainText('Replicas');
  await expect(notice).toContainText('the pause must start within the 10 s run');
  await ready(page);
  expect(problems()).toEqual([]);
});

