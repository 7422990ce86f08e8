// autoscaling-strategies (book page 23): the measured table on screen, a control that moves it,
// the live day, and the wasm export against the native CLI.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'autoscaling-strategies';
const keys = ['reactive', 'scheduled', 'predictive'];
const pct2 = (x) => `${(100 * x).toFixed(2)}\u00a0%`;

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="late_reactive"] dd')).toBeVisible();
}

const value = async (page, key) => (await page.locator(`[data-metric="${key}"] dd`).first().innerText()).split('\n')[0].trim();

test('autoscaling-strategies: the default day on screen equals the core, and tells the table’s story', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug])).report;
  for (const f of cli.fleets) {
    expect(keys).toContain(f.key);
    expect(await value(page, `late_${f.key}`)).toBe(pct2(f.late_fraction));
    expect(await value(page, `cost_${f.key}`)).toBe(`${f.instance_hours.toFixed(1)} inst·h`);
  }
  // reactive answers the flash crowd one minute after it starts plus the 5-minute start-up delay;
  // the hourly schedule never does
  expect(await value(page, 'response_reactive')).toBe('6 min');
  expect(await value(page, 'response_scheduled')).toBe('never');
  const byKey = Object.fromEntries(cli.fleets.map((f) => [f.key, f]));
  expect(byKey.scheduled.short_minutes).toBe(30);
  expect(byKey.scheduled.late_fraction).toBeGreaterThan(byKey.reactive.late_fraction);
  await expect(page.locator('canvas')).toHaveCount(2);
  await expect(page.locator('table.as2-table tbody tr')).toHaveCount(4);
  expect(problems()).toEqual([]);
});

test('autoscaling-strategies: the start-up delay moves the reactive response; the oracle absorbs the spike', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await metricText(page, 'late_reactive');
  const num = page.locator('.knob', { hasText: 'Start-up delay' }).locator('input.num');
  await num.fill('0');
  await num.press('Enter');
  await expect(page).toHaveURL(/startup_min=0/);
  await expect.poll(() => value(page, 'response_reactive'), { timeout: 15_000 }).toBe('1 min');
  expect(await metricText(page, 'late_reactive')).not.toBe(before);
  await page.getByRole('button', { name: 'Perfect forecast' }).click();
  await expect(page).toHaveURL(/forecast=oracle/);
  await expect.poll(() => value(page, 'response_predictive'), { timeout: 15_000 }).toBe('absorbed');
  expect(problems()).toEqual([]);
});

test('autoscaling-strategies: the live day steps, plays and skips to the spike', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const status = page.locator('.live .player .status');
  await expect(status).toContainText('minute 0 of 1440');
  await page.getByRole('button', { name: 'Step' }).click();
  await expect(status).toContainText('minute 1 of 1440');
  await page.getByRole('button', { name: /Skip to 09:57/ }).click();
  await expect(status).toContainText('SPIKE', { timeout: 15_000 });
  await page.getByRole('button', { name: '❚❚ Pause' }).click();
  await expect(page.locator('svg.as2-fleets')).toHaveAttribute('aria-label', /Reactive: \d+ ready/);
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('minute 0 of 1440');
  expect(problems()).toEqual([]);
});

test('autoscaling-strategies: the browser (wasm) export equals the native CLI byte for byte', async ({ page }) => {
  const knobs = { strategy: 'predictive', forecast: 'yesterday', spike_pct: '250', spike_hour: '18.5', startup_min: '8', noise_pct: '12' };
  const seed = 77;
  await page.goto(`/widget/${slug}?${new URLSearchParams({ ...knobs, seed: String(seed) })}`);
  await ready(page);
  await expect(page.getByRole('button', { name: 'Export JSON' })).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const browser = fs.readFileSync(await download.path(), 'utf8');
  const args = ['run', slug, '--seed', String(seed), ...Object.entries(knobs).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
  expect(browser).toBe(runCli(args));
});
