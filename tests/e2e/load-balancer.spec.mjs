// The load-balancer widget: its reference numbers on screen, controls that change them, the
// live queues, and a clean console.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'load-balancer';
const num = (s) => Number(String(s).replace(/\u2009/g, '').match(/[\d.]+/)[0]);

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="pooled_mean"] .value')).toBeVisible();
}

test('load-balancer: the defaults land on queueing theory and match the CLI', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const report = JSON.parse(runCli(['run', slug, '--seed', '1'])).report;

  // 8 identical servers at 70 %, S = 20 ms. Random routing = 8 M/M/1 queues: S/(1−ρ) = 66.7 ms.
  const random = page.locator('[data-metric="random_mean"]');
  await expect(random.locator('.sub')).toHaveText('M/M/1 theory 66.7 ms');
  const rnd = num(await random.locator('.value').innerText());
  expect(Math.abs(rnd - report.strategies[0].mean_ms)).toBeLessThan(0.06);
  expect(Math.abs(rnd / 66.667 - 1)).toBeLessThan(0.15);

  // The shared queue is M/M/8 (Erlang C): 22.3 ms, and the simulation lands on it.
  const pooled = page.locator('[data-metric="pooled_mean"]');
  await expect(pooled.locator('.sub')).toHaveText('M/M/8 theory 22.3 ms');
  const pm = num(await pooled.locator('.value').innerText());
  expect(Math.abs(pm / 22.255 - 1)).toBeLessThan(0.03);

  // Round-robin beats random on the same traffic; least connections beats both; the book's
  // 60–70 % for random fails at this load.
  const eff = async (k) => num(await metricText(page, `eff_${k}`));
  expect(await eff('round_robin')).toBeGreaterThan(await eff('random'));
  expect(await eff('least_conn')).toBeGreaterThan(await eff('round_robin'));
  expect(await eff('random')).toBeLessThan(60);
  await expect(page.locator('[data-metric="eff_random"]')).toContainText('below');

  // Power of two choices cuts random's p99 (shown per row)
  expect(num(await metricText(page, 'p99_power_of_d'))).toBeLessThan(num(await metricText(page, 'p99_random')));

  // Balls into bins at n = 65 536: far fewer in the fullest bin with two choices
  const bins = (await page.locator('[data-metric="bins_max"] .value').innerText()).split('→').map(num);
  const last = report.bins[report.bins.length - 1];
  expect(bins[0]).toBeCloseTo(last.max_load[0], 1);
  expect(bins[1]).toBeCloseTo(last.max_load[1], 1);
  expect(bins[0] - bins[1]).toBeGreaterThanOrEqual(3);
  expect(problems()).toEqual([]);
});

test('load-balancer: controls change the measured numbers', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = await metricText(page, 'pooled_mean');
  const util = page.locator('.knob', { hasText: 'Offered utilisation' }).locator('input.num');
  await util.fill('90');
  await util.press('Enter');
  await expect(page).toHaveURL(/utilisation=90/);
  await expect.poll(() => metricText(page, 'pooled_mean'), { timeout: 15_000 }).not.toBe(before);
  await ready(page);
  // at 90 % random routing is M/M/1 with mean 20/(1 − 0.9) = 200 ms
  await expect(page.locator('[data-metric="random_mean"] .sub')).toHaveText('M/M/1 theory 200 ms');

  await page.locator(`#w-${slug}-strategy`).selectOption('least_conn');
  await expect(page).toHaveURL(/strategy=least_conn/);
  await expect(page.locator('[data-metric="sel_eff"] dt')).toHaveText('Efficiency — least connections');
  await expect(page.locator('.live h3')).toHaveText('Live: least connections');
  expect(problems()).toEqual([]);
});

test('load-balancer: the live queues step, play and reset', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const status = page.locator('.live .player .status');
  await expect(status).toContainText('0 arrived');
  await page.locator('.live').getByRole('button', { name: 'Step' }).click();
  await expect(status).toContainText('1 arrived');
  await expect(page.locator('svg.lb-servers rect[fill="var(--c0)"]')).toHaveCount(1);
  await page.locator('.live').getByRole('button', { name: '▶ Play' }).click();
  await expect.poll(async () => num((await status.innerText()).match(/· ([\d\u2009]+) arrived/)[1]), { timeout: 10_000 }).toBeGreaterThan(5);
  await page.locator('.live').getByRole('button', { name: '❚❚ Pause' }).click();
  await page.locator('.live').getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('0 arrived');
  expect(problems()).toEqual([]);
});

test('load-balancer: garbage in the URL is clamped with a notice', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?servers=1000&d=9&speeds=warp&strategy=%3Cb%3E`);
  const notice = page.locator('.notice');
  await expect(notice).toContainText('Servers N must be a whole number from 2 to 64; using 64');
  await expect(notice).toContainText('Server speeds');
  await ready(page);
  expect(problems()).toEqual([]);
});


test('load-balancer: on a phone a wide row of servers opens centred on the balancer', async ({ page }) => {
  const problems = watchConsole(page);
  await page.setViewportSize({ width: 360, height: 780 });
  await page.goto(`/widget/${slug}?servers=16`);
  await ready(page);
  const box = page.locator('.drawing-scroll:has(svg.lb-servers)');
  // the row is wider than the screen, so it scrolls, and starts scrolled to its middle
  const { over, left } = await box.evaluate((el) => ({ over: el.scrollWidth - el.clientWidth, left: el.scrollLeft }));
  expect(over).toBeGreaterThan(0);
  expect(Math.abs(left - over / 2)).toBeLessThanOrEqual(1);
  // the balancer's label is in view
  const label = await box.locator('text', { hasText: 'balancer' }).boundingBox();
  const view = await box.boundingBox();
  expect(label.x).toBeGreaterThanOrEqual(view.x);
  expect(label.x + label.width).toBeLessThanOrEqual(view.x + view.width);
  expect(problems()).toEqual([]);
});
