// backpressure-chain (book page 23): the goodput collapse without shedding, the ceiling held by
// shedding and back-pressure, goodput = offered below capacity, and the live chain.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'backpressure-chain';
const num = (s) => Number(s.replace(/[\u2009\u202f\s]/g, '').replace(/[^0-9.\-]+$/, '').replace(/^[^0-9.\-]+/, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="goodput"] .value')).toBeVisible();
}

test('backpressure-chain: no shedding collapses past capacity, the page shows the core numbers', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug])).report;
  // 150 req/s into a 100 req/s database with unbounded queues: goodput collapses to ~0
  expect(cli.selected.mode).toBe('none');
  expect(cli.selected.goodput).toBeLessThan(10);
  expect(await value(page, 'goodput')).toBeCloseTo(cli.selected.goodput, 0);
  expect(await value(page, 'db_wasted')).toBeGreaterThan(80);
  // while shedding and back-pressure keep it near the capacity (same seed, same page)
  for (const m of cli.modes.filter((m) => m.mode !== 'none')) {
    expect(m.goodput).toBeGreaterThan(90);
    expect(m.goodput).toBeLessThanOrEqual(cli.capacity * 1.06);
  }
  await expect(page.locator('table.data').first()).toContainText('back-pressure');
  await expect(page.locator('canvas')).toHaveCount(1);
  await expect(page.locator('svg.bp-chain')).toBeVisible();
  expect(problems()).toEqual([]);
});

test('backpressure-chain: a control changes the metrics; back-pressure rejects at the gateway', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await metricText(page, 'goodput');
  await page.locator(`#w-${slug}-mode`).selectOption('backpressure');
  await expect(page).toHaveURL(/mode=backpressure/);
  await expect.poll(() => metricText(page, 'goodput'), { timeout: 15_000 }).not.toBe(before);
  await ready(page);
  const g = await value(page, 'goodput');
  expect(g).toBeGreaterThan(90);
  expect(g).toBeLessThan(106);
  await expect(page.locator('[data-metric="rejected"] .sub')).toContainText('100 % of them at the gateway');
  expect(problems()).toEqual([]);
});

test('backpressure-chain: below capacity every mode delivers what is offered', async ({ page }) => {
  const problems = watchConsole(page);
  for (const mode of ['none', 'shed', 'backpressure']) {
    await page.goto(`/widget/${slug}?mode=${mode}&offered_rate=60&duration_s=30`);
    await ready(page);
    const cli = JSON.parse(runCli(['run', slug, '--set', `mode=${mode}`, '--set', 'offered_rate=60', '--set', 'duration_s=30'])).report;
    const g = await value(page, 'goodput');
    expect(g).toBeCloseTo(cli.selected.goodput, 0);
    expect(Math.abs(g - cli.selected.measured_rate) / cli.selected.measured_rate).toBeLessThan(0.02);
    expect(Math.abs(g - 60) / 60).toBeLessThan(0.1);
    expect(await value(page, 'success')).toBeGreaterThan(99);
  }
  expect(problems()).toEqual([]);
});

test('backpressure-chain: the live chain plays, steps and resets', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const status = page.locator('.live .player .status');
  await expect(status).toContainText('0 arrived');
  await page.getByRole('button', { name: 'Step' }).click();
  await expect(status).toContainText('1 arrived');
  await page.getByRole('button', { name: /Play/ }).click();
  await expect.poll(async () => num((await status.innerText()).match(/· ([\d\u2009\u202f]+) arrived/)[1]), { timeout: 10_000 }).toBeGreaterThan(100);
  await page.getByRole('button', { name: /Pause/ }).click();
  await expect(page.locator('svg.bp-chain')).toHaveAttribute('aria-label', /gateway \d+ of 64 workers busy/);
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('0 arrived');
  expect(problems()).toEqual([]);
});

test('backpressure-chain: a knob that changes the sweep shows the new numbers first, then the new sweep', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const chart = page.locator(`[data-slug="${slug}"] canvas[aria-label^="Goodput vs offered load"]`);
  await expect(chart).toHaveAttribute('aria-label', /^Goodput vs offered load(?! \(sweep updating)/);
  const before = await metricText(page, 'goodput');
  // every label the chart carries from here on
  await page.evaluate((slug) => {
    window.__labels = [];
    const sec = document.querySelector(`[data-slug="${slug}"]`);
    new MutationObserver(() => {
      for (const c of sec.querySelectorAll('canvas[aria-label^="Goodput vs offered load"]')) window.__labels.push(c.getAttribute('aria-label'));
    }).observe(sec, { subtree: true, attributes: true, childList: true });
  }, slug);
  const slider = page.locator(`#w-${slug}-db_capacity`);
  await slider.fill('130');
  await expect.poll(() => metricText(page, 'goodput'), { timeout: 15_000 }).not.toBe(before);
  await ready(page);
  // the full run followed the quick look: the chart is the new sweep, not the old one marked
  await expect(chart).not.toHaveAttribute('aria-label', /sweep updating/);
  // and the quick look was shown on the way (the old sweep, marked as updating)
  const labels = await page.evaluate(() => window.__labels);
  expect(labels.some((l) => l.includes('sweep updating'))).toBe(true);
  expect(problems()).toEqual([]);
});
