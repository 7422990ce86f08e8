// state-strategies (book page 25): availability of the three clusters, keys lost to the failure,
// the cross-shard share against 1 − (1/S)^(k−1), and CP against AP, on screen and equal to the
// native core; controls change them; zero console errors.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { runCli, watchConsole } from './helpers.mjs';

const slug = 'state-strategies';
const num = (s) => Number(s.replace(/[\u2009\u00a0\s×%+ms]/g, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());
const pct1 = (x) => Number((x * 100).toFixed(1));

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="avail_partitioned"] .value')).toBeVisible();
}

test('state-strategies: availability, lost keys and cross-shard share match the core and theory', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug, '--seed', '1'])).report;
  const [pa, re, ca] = cli.strategies;
  expect(await value(page, 'avail_partitioned')).toBe(pct1(pa.availability));
  expect(await value(page, 'avail_replicated')).toBe(pct1(re.availability));
  expect(await value(page, 'avail_cached')).toBe(pct1(ca.availability));
  // replication fails over; one copy does not
  expect(re.availability).toBeGreaterThan(pa.availability);
  expect(await value(page, 'keys_lost')).toBe(pa.keys_unavailable);
  expect(pa.keys_unavailable).toBeGreaterThan(0);
  expect(re.keys_unavailable).toBe(0);
  // theory: 3-key ops over 16 shards cross with probability 1 − (1/16)^2 = 99.6 %
  const cross = await value(page, 'cross_shard');
  expect(cross).toBe(pct1(cli.cross_shard_fraction));
  expect(Math.abs(cross - 99.6)).toBeLessThan(1.5);
  await expect(page.locator('[data-metric="cross_shard"] .sub')).toContainText('99.6');
  // strong consistency (CP): the partition costs refusals, never a stale read
  expect(await value(page, 'stale')).toBe(0);
  expect(await value(page, 'partition_refused')).toBe(re.phases[3].refused);
  expect(re.phases[3].refused).toBeGreaterThan(0.2 * re.phases[3].ops);
  await expect(page.locator('svg.ss-clusters')).toBeVisible();
  await expect(page.locator('canvas')).toHaveCount(3);
  expect(problems()).toEqual([]);
});

test('state-strategies: controls change the metrics; AP trades refusals for stale reads', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const cpRefused = await value(page, 'partition_refused');
  await page.locator(`#w-${slug}-consistency`).selectOption('eventual');
  await expect(page).toHaveURL(/consistency=eventual/);
  await ready(page);
  await expect.poll(() => value(page, 'stale'), { timeout: 15_000 }).toBeGreaterThan(0);
  expect(await value(page, 'partition_refused')).toBeLessThan(cpRefused / 2);
  await page.getByRole('button', { name: 'Everything on one node' }).click();
  await expect(page).toHaveURL(/scheme=single/);
  await expect.poll(() => value(page, 'cross_shard'), { timeout: 15_000 }).toBe(0);
  // the live view plays and steps
  await page.getByRole('button', { name: 'Step' }).click();
  await expect(page.locator('section.live .status')).toContainText('1 ops');
  expect(problems()).toEqual([]);
});

test('state-strategies: the browser export equals the native CLI byte for byte', async ({ page }) => {
  const knobs = { scheme: 'virtual', shards: '32', consistency: 'eventual', nodes: '5', skew: '1.2', partition: '2', fail_node: '1' };
  await page.goto(`/widget/${slug}?${new URLSearchParams({ ...knobs, seed: '7' })}`);
  await ready(page);
  await expect(page.getByRole('button', { name: 'Export JSON' })).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const browser = fs.readFileSync(await download.path(), 'utf8');
  const args = ['run', slug, '--seed', '7', ...Object.entries(knobs).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
  expect(browser).toBe(runCli(args));
});
