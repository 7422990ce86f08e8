// canary-mesh (book page 30): the reference numbers on screen against the native core, the
// weight slider changing the share and the rendered config, the control plane taken down (the
// data plane serves on, the rollback waits), and the live mesh with its pokes.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole } from './helpers.mjs';

const slug = 'canary-mesh';
const num = (s) => Number(s.replace(/[\u2009\u00a0\s]/g, '').replace(/^at/, '').replace(/(s|%)$/, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="green_share"] .value')).toBeVisible();
}

test('canary-mesh: the default run on screen, number for number with the native core', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  // the book's 90/10: about a tenth of the traffic goes to green until the rollback
  expect(r.configured_green).toBe(10);
  expect(Math.abs(r.share_before_rollback - 10)).toBeLessThan(2);
  expect(await value(page, 'green_share')).toBeCloseTo(r.share_before_rollback, 1);
  // the canary turns bad at 30 s and is rolled back; green then gets nothing
  expect(r.rollback.decided_at).toBeGreaterThanOrEqual(30);
  expect(r.totals.green_after_rollback).toBe(0);
  expect(await value(page, 'rollback')).toBeCloseTo(r.rollback.decided_at, 1);
  expect(await value(page, 'detect')).toBeCloseTo(r.detect_s, 1);
  expect(r.detect_theory_s).toBeCloseTo(10, 9);
  expect(await value(page, 'canary_errors')).toBe(Math.round(r.totals.canary_errors));
  await expect(page.locator('canvas')).toHaveCount(4);
  // proxy 1's config, rendered from the run: the book's weights
  const yaml = page.locator('pre.cm-yaml');
  await expect(yaml).toContainText('weight: 90');
  await expect(yaml).toContainText('weight: 10');
  expect(problems()).toEqual([]);
});

test('canary-mesh: the weight slider changes the share and the rendered config', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const input = page.locator('.knob', { hasText: 'Green (canary) weight' }).locator('input.num');
  await input.fill('50');
  await input.press('Enter');
  await expect(page).toHaveURL(/green_weight_pct=50/);
  await expect(page.locator('pre.cm-yaml')).toContainText('weight: 50');
  await expect.poll(async () => value(page, 'green_share'), { timeout: 10_000 }).toBeGreaterThan(40);
  expect(problems()).toEqual([]);
});

test('canary-mesh: control plane down — the data plane serves on, the rollback waits', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  await page.getByRole('button', { name: 'Bad canary, control plane down' }).click();
  await expect(page.locator('[data-metric="outage_cost"]')).toBeVisible({ timeout: 10_000 });
  const r = JSON.parse(runCli(['run', slug, '--set', 'cp_down_at_s=30', '--set', 'cp_down_s=60'])).report;
  expect(r.outage.served).toBe(r.outage.arrivals);
  expect(r.outage.config_changes).toBe(0);
  expect(r.rollback.decided_at).toBeGreaterThanOrEqual(90);
  expect(r.no_outage.rollback_at).toBeLessThan(45);
  await expect(page.locator('[data-metric="outage_served"] .value')).toContainText(String(r.outage.arrivals).replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009'));
  expect(await value(page, 'rollback')).toBeCloseTo(r.rollback.decided_at, 1);
  expect(await value(page, 'outage_cost')).toBe(Math.round(r.totals.canary_errors - r.no_outage.canary_errors));
  expect(problems()).toEqual([]);
});

test('canary-mesh: the live mesh steps, takes a dead control plane and a broken canary', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?green_error_pct=0.5`);
  await ready(page);
  const live = page.locator('.live');
  await expect(live.locator('.player .status')).toContainText('control plane up');
  await live.getByRole('button', { name: 'Step' }).click();
  await live.getByRole('button', { name: 'Kill the control plane' }).click();
  await expect(live.locator('.player .status')).toContainText('control plane DOWN');
  await live.getByRole('button', { name: 'Break the canary now' }).click();
  await expect(live.locator('svg.cm-mesh')).toContainText('failing');
  await live.getByRole('button', { name: 'Restore the control plane' }).click();
  await expect(live.locator('.player .status')).toContainText('control plane up');
  await live.getByRole('button', { name: 'Reset' }).click();
  await expect(live.locator('svg.cm-mesh')).toContainText('canary');
  expect(problems()).toEqual([]);
});
