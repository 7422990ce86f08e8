// rate-limiters (book page 23): the reference numbers on screen, controls, the live replay.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'rate-limiters';
const num = (s) => Number(s.replace(/[\u2009\s]/g, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="max_sliding_log"] .value')).toBeVisible();
}

test('rate-limiters: the boundary burst shows the fixed window near 2× and the sliding log exact', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug])).report;
  const byKey = Object.fromEntries(cli.limiters.map((l) => [l.key, l]));
  // what the page shows is what the native core computes, number for number
  for (const k of ['token_bucket', 'fixed_window', 'sliding_log', 'sliding_counter']) {
    expect(await value(page, `max_${k}`)).toBe(byKey[k].max_in_window);
  }
  // and it is the textbook picture: limit 1000 per 10 s
  expect(await value(page, 'max_sliding_log')).toBe(1000);
  const fixed = await value(page, 'max_fixed_window');
  expect(fixed).toBeGreaterThanOrEqual(1950);
  expect(fixed).toBeLessThanOrEqual(2000);
  const counter = await value(page, 'max_sliding_counter');
  expect(counter).toBeGreaterThan(1000);
  expect(counter).toBeLessThan(1100);
  expect(await value(page, 'max_token_bucket')).toBeLessThanOrEqual(1100);
  expect(await metricText(page, 'reject_token_bucket')).toContain('%');
  await expect(page.locator('.notes')).toContainText('straddles the edge at 20 s');
  await expect(page.locator('canvas')).toHaveCount(2);
  expect(problems()).toEqual([]);
});

test('rate-limiters: a control changes the metrics; "Fool the counter" pushes the counter near 2×', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await metricText(page, 'reject_fixed_window');
  await page.locator(`#w-${slug}-trace`).selectOption('steady');
  await expect(page).toHaveURL(/trace=steady/);
  await expect.poll(() => metricText(page, 'reject_fixed_window'), { timeout: 15_000 }).not.toBe(before);
  await ready(page);
  // steady at 10 req/s against 100 req/s allowed: nobody rejects anything
  for (const k of ['token_bucket', 'fixed_window', 'sliding_log', 'sliding_counter']) {
    await expect(page.locator(`[data-metric="reject_${k}"] .value`)).toHaveText('0.0\u00a0%');
  }
  await page.getByRole('button', { name: 'Fool the counter' }).click();
  await expect(page).toHaveURL(/trace=edge/);
  await expect.poll(async () => value(page, 'max_sliding_counter'), { timeout: 15_000 }).toBeGreaterThan(1900);
  expect(await value(page, 'max_sliding_log')).toBe(1000);
  expect(problems()).toEqual([]);
});

test('rate-limiters: the replay steps, plays and skips to the edge', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const status = page.locator('.live .player .status');
  await expect(status).toContainText('0 of');
  await page.getByRole('button', { name: 'Step' }).click();
  await expect(status).toContainText(/· 1 of/);
  await page.getByRole('button', { name: /Skip to 19\.4 s/ }).click();
  await expect.poll(async () => num((await status.innerText()).match(/· ([\d\u2009\u202f]+) of/)[1]), { timeout: 10_000 }).toBeGreaterThan(250);
  await page.getByRole('button', { name: '❚❚ Pause' }).click();
  await expect(page.locator('svg.rl-lanes')).toHaveAttribute('aria-label', /Fixed window/);
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('0 of');
  expect(problems()).toEqual([]);
});

test('rate-limiters: the browser (wasm) export equals the native CLI byte for byte', async ({ page }) => {
  const knobs = { trace: 'bursty', offered_rate: '150', duration_s: '90', limit: '500', window_s: '5', burst: '40' };
  const seed = 77;
  await page.goto(`/widget/${slug}?${new URLSearchParams({ ...knobs, seed: String(seed) })}`);
  await ready(page);
  await expect(page.getByRole('button', { name: 'Export JSON' })).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const browser = fs.readFileSync(await download.path(), 'utf8');
  const args = ['run', slug, '--seed', String(seed), ...Object.entries(knobs).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
  expect(browser).toBe(runCli(args));
});
