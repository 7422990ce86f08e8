// hot-shard (book page 22): the floor, the celebrity's share and each placement's peak on screen,
// equal to the native core; a control changes them; splitting the celebrity lowers the floor.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'hot-shard';
const num = (s) => Number(s.replace(/[\u2009\u00a0\s×%]/g, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());
const sig3 = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="floor"] .value')).toBeVisible();
}

test('hot-shard: the floor N × top share and every placement peak match the core and theory', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug, '--seed', '1'])).report;
  // the page runs seed 1 by default: it shows what the native core computes
  expect(await metricText(page, 'floor')).toContain(`${sig3(cli.bound)}×`);
  for (const pl of cli.placements) {
    expect(await value(page, `mm_${pl.key}`)).toBe(Number(sig3(pl.max_over_mean)));
    // no placement beats the floor
    expect(pl.max_over_mean).toBeGreaterThanOrEqual(cli.bound_measured);
  }
  // theory: 8 × (0.1 + 0.9 / H(10 000, 1)) = 8 × 0.19195 = 1.54
  expect(await value(page, 'floor')).toBe(1.54);
  expect(await value(page, 'celebrity_share')).toBeCloseTo(19.2, 0);
  await expect(page.locator('[data-metric="celebrity_share"] .sub')).toContainText('1/H = 10.22');
  // balanced virtual shards come within 5 % of the floor; hash mod N does not
  expect(await value(page, 'mm_vshards')).toBeLessThan(1.54 * 1.05);
  expect(await value(page, 'mm_mod')).toBeGreaterThan(1.54 * 1.2);
  await expect(page.locator('svg.hs-servers')).toHaveCount(3);
  await expect(page.locator('svg.hs-servers').first()).toBeVisible();
  await expect(page.locator('canvas')).toHaveCount(2);
  expect(problems()).toEqual([]);
});

test('hot-shard: controls change the metrics; splitting the celebrity lowers the floor', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await value(page, 'mm_mod');
  await page.locator(`#w-${slug}-assign`).selectOption('round');
  await expect(page).toHaveURL(/assign=round/);
  await ready(page);
  // 1000 virtual shards round-robin on 8 servers is exactly hash mod N
  await expect.poll(() => value(page, 'mm_vshards'), { timeout: 15_000 }).toBe(before);
  await page.getByRole('button', { name: 'A 30 % celebrity' }).click();
  await expect(page).toHaveURL(/celebrity=30/);
  await expect.poll(() => value(page, 'floor'), { timeout: 15_000 }).toBeGreaterThan(2.9);
  expect(await value(page, 'mm_mod')).not.toBe(before);
  await page.getByRole('button', { name: '…split into 8' }).click();
  await expect(page).toHaveURL(/split=8/);
  await expect.poll(() => value(page, 'floor'), { timeout: 15_000 }).toBe(1);
  expect(problems()).toEqual([]);
});

test('hot-shard: no skew lands on balls-into-bins theory', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?skew=0&celebrity=0`);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug, '--set', 'skew=0', '--set', 'celebrity=0'])).report;
  expect(await value(page, 'noise')).toBe(Number(sig3(cli.noise_theory)));
  expect(await value(page, 'floor')).toBe(1);
  for (const k of ['mod', 'vshards']) {
    const m = await value(page, `mm_${k}`);
    expect(m).toBeGreaterThan(1);
    expect(m - 1).toBeLessThan(2.5 * (cli.noise_theory - 1));
  }
  expect(problems()).toEqual([]);
});

test('hot-shard: the browser export equals the native CLI byte for byte', async ({ page }) => {
  const knobs = { servers: '12', skew: '1.2', celebrity: '25', split: '4', assign: 'round', vnodes: '20' };
  await page.goto(`/widget/${slug}?${new URLSearchParams({ ...knobs, seed: '7' })}`);
  await ready(page);
  await expect(page.getByRole('button', { name: 'Export JSON' })).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const browser = fs.readFileSync(await download.path(), 'utf8');
  const args = ['run', slug, '--seed', '7', ...Object.entries(knobs).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
  expect(browser).toBe(runCli(args));
});
