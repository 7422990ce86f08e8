// sharding-journey (book page 25): the five stages on one seeded workload; the reference numbers
// (mod 16 → 17 moves 16/17 ≈ 94.1 %, virtual shards ≈ 1/17) on screen equal the native core's.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { runCli, watchConsole } from './helpers.mjs';

const slug = 'sharding-journey';
const text = async (page, key) => (await page.locator(`[data-metric="${key}"] .value`).first().innerText()).trim();
const pct = (x) => `${(x * 100).toFixed(1)}\u00a0%`;

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="moved"] .value')).toBeVisible();
}

test('sharding-journey: user_id % 16 → 17 moves 94 % of keys; the numbers equal the core', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug])).report;
  const mod = cli.stages.find((s) => s.key === 'modulo');
  expect(mod.moved).toBeCloseTo(16 / 17, 2);
  expect(await text(page, 'moved')).toBe('94.1\u00a0%');
  await expect(page.locator('[data-metric="moved"] .sub')).toContainText('theory 94.1');
  expect(await text(page, 'busiest_share')).toBe(pct(mod.busiest_share));
  expect(await text(page, 'cross')).toBe(pct(mod.cross));
  await expect(page.getByTestId('stages').locator('tbody tr')).toHaveCount(5);
  await expect(page.locator('.sj-link').nth(2)).toHaveAttribute('href', '/widget/state-strategies?scheme=modulo&shards=16&consistency=strong');
  await expect(page.locator('.sj-link').nth(4)).toHaveAttribute('href', /consistency=eventual$/);
  await expect(page.locator('svg.sj-dbs rect')).toHaveCount(32);
  await expect(page.locator('canvas')).toHaveCount(2);
  expect(problems()).toEqual([]);
});

test('sharding-journey: the timeline and the knobs drive the stage', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  await page.getByRole('button', { name: /2013\s*Virtual shards/ }).click();
  await expect(page).toHaveURL(/stage=virtual/);
  const cli = JSON.parse(runCli(['run', slug, '--set', 'stage=virtual'])).report;
  const v = cli.stages.find((s) => s.key === 'virtual');
  await expect.poll(() => text(page, 'moved')).toBe(pct(v.moved));
  expect(v.moved).toBeLessThan(0.08);
  // doubling by mod N moves exactly half
  await page.locator(`#w-${slug}-stage`).selectOption('modulo');
  const added = page.locator('.knob', { hasText: 'Nodes added' }).locator('input.num');
  await added.fill('16');
  await added.press('Enter');
  await expect(page).toHaveURL(/added=16/);
  // (users move exactly half; hashed communities about half)
  await expect(page.locator('[data-metric="moved"] .sub')).toContainText('theory 50.0');
  await expect.poll(async () => Math.abs(Number((await text(page, 'moved')).replace(/[^\d.]/g, '')) - 50)).toBeLessThan(1.5);
  // the eventual stage shows stale reads near (2/3)·e^(−10/20) = 40.4 %
  await page.getByRole('button', { name: /2015\s*Eventual consistency/ }).click();
  await expect(page).toHaveURL(/stage=eventual/);
  await expect(page.locator('[data-metric="stale"] .sub')).toContainText('theory 40.4');
  const stale = Number((await text(page, 'stale')).replace(/[^\d.]/g, ''));
  expect(Math.abs(stale - 40.4)).toBeLessThan(3);
  expect(await text(page, 'cross')).toBe('0.0\u00a0%');
  await expect(page.locator('canvas')).toHaveCount(3);
  expect(problems()).toEqual([]);
});

test('sharding-journey: the browser export equals the native CLI byte for byte', async ({ page }) => {
  const knobs = { stage: 'eventual', shards: '8', skew: '1.3', lag_ms: '50', seed: '5' };
  await page.goto(`/widget/${slug}?${new URLSearchParams(knobs)}`);
  await ready(page);
  await expect(page.getByRole('button', { name: 'Export JSON' })).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const browser = fs.readFileSync(await download.path(), 'utf8');
  const { seed, ...rest } = knobs;
  const args = ['run', slug, '--seed', seed, ...Object.entries(rest).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
  expect(browser).toBe(runCli(args));
});
