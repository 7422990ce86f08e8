// anomaly-detection (book page 31): the reference numbers on screen, a control, the live loop.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'anomaly-detection';
const num = (s) => Number(s.replace(/[\u2009\u00a0\s%]|min/g, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="hw_recall"] .value')).toBeVisible();
}

test('anomaly-detection: the page shows the core numbers; static misses what Holt-Winters catches', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug])).report;
  for (const d of cli.detectors) {
    expect(await value(page, `${d.key}_recall`)).toBe(Math.round(d.outcome.recall * 100));
    expect(await value(page, `${d.key}_cost`)).toBe(Math.round(d.downtime_min + d.toil_min));
  }
  // the lesson at the defaults (seed 1): a learnt static band misses the seasonal anomalies,
  // Holt-Winters catches every one
  expect(await value(page, 'static_recall')).toBe(0);
  expect(await value(page, 'hw_recall')).toBe(100);
  await expect(page.locator('.notes')).toContainText('mostly the daily swing');
  await expect(page.locator('canvas')).toHaveCount(2);
  await expect(page.locator('svg.anom-timeline')).toBeVisible();
  expect(problems()).toEqual([]);
});

test('anomaly-detection: lowering k changes the metrics (alarm fatigue)', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await metricText(page, 'hw_recall');
  const input = page.locator('.knob', { hasText: 'Sensitivity k' }).locator('input.num');
  await input.fill('1.5');
  await input.press('Enter');
  await expect(page).toHaveURL(/k=1.5/);
  await expect.poll(() => metricText(page, 'hw_recall'), { timeout: 15_000 }).not.toBe(before);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug, '--set', 'k=1.5'])).report;
  expect(await value(page, 'static_recall')).toBe(Math.round(cli.detectors[0].outcome.recall * 100));
  expect(cli.detectors[1].outcome.false_per_day).toBeGreaterThan(1);
  expect(problems()).toEqual([]);
});

test('anomaly-detection: the live loop plays, and an injected spike is acted on', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?magnitude=12`);
  await ready(page);
  const live = page.locator('section.live');
  await live.getByRole('button', { name: 'Play' }).click();
  // warm-up is two days; at 1 day/s it is over in about 2 s
  await live.locator('select').selectOption('86400');
  await expect(live.locator('.status')).not.toContainText('warming', { timeout: 20_000 });
  await live.getByRole('button', { name: /Pause/ }).click();
  const alarms = async () => num((await metricText(page, 'live_hw')).match(/([\d\u2009]+) alarm samples/)[1]);
  const before = await alarms();
  await live.getByRole('button', { name: 'spike' }).click();
  await live.getByRole('button', { name: 'Step' }).click();
  await expect(live.locator('svg.anom-ooda')).toContainText('alert!');
  await expect.poll(alarms).toBeGreaterThan(before);
  expect(problems()).toEqual([]);
});
