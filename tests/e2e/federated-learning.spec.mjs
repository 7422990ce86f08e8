// federated-learning (book page 31): the default run on screen number for number with the native
// core, FedSGD needing more rounds than FedAvg, a control that changes a metric, and the live
// rounds with their pokes.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole } from './helpers.mjs';

const slug = 'federated-learning';
const text = async (page, key) => (await page.locator(`[data-metric="${key}"] .value`).first().innerText()).trim();
const pctOf = (s) => Number(s.replace(/[\u2009\u00a0\s%]/g, ''));

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="acc_fedavg"] .value')).toBeVisible();
}

test('federated-learning: the default run on screen, number for number with the native core', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  const last = (v) => v[v.length - 1];
  expect(pctOf(await text(page, 'acc_fedavg'))).toBeCloseTo(100 * last(r.acc_fedavg), 1);
  const rt = r.rounds_to_target_fedavg;
  expect(await text(page, 'rounds_fedavg')).toBe(rt === null ? 'never' : String(rt));
  // the theory the widget teaches: FedAvg lands near central training, FedSGD lags with the same bytes per round
  expect(Math.abs(last(r.acc_fedavg) - last(r.acc_central))).toBeLessThan(0.05);
  expect(last(r.loss_fedsgd)).toBeGreaterThan(last(r.loss_fedavg));
  expect(r.returned.every((m, i) => m <= r.sampled[i] && r.sampled[i] <= 10)).toBe(true);
  await expect(page.locator('canvas')).toHaveCount(4);
  await expect(page.locator('svg.fl-fed')).toBeVisible();
  expect(problems()).toEqual([]);
});

test('federated-learning: a deadline drops the stragglers and shortens the run', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const before = Number((await text(page, 'wall_time')).replace(/[\u2009\s]|s$/g, ''));
  await page.getByRole('button', { name: 'Stragglers with a deadline' }).click();
  await expect.poll(async () => Number((await text(page, 'wall_time')).replace(/[\u2009\s]|s$/g, '')), { timeout: 10_000 }).toBeLessThan(before);
  await expect(page.locator('[data-metric="averaged"] .sub')).toContainText(/[1-9]\d* late/);
  expect(problems()).toEqual([]);
});

test('federated-learning: the live rounds step, take a dropped node, and reset', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const live = page.locator('.live');
  const status = live.locator('.player .status');
  await expect(status).toContainText('round 1 of 20');
  await live.getByRole('button', { name: 'Step' }).click();
  await expect(status).toContainText('t = 0.05 s');
  await live.getByRole('button', { name: 'Drop a node now' }).click();
  await expect(live.locator('[data-metric="live_round"] .sub')).toContainText('1 dropped');
  for (let i = 0; i < 40; i++) await live.getByRole('button', { name: 'Step' }).click();
  await expect(live.locator('[data-metric="live_last"] .value')).not.toHaveText('—');
  await live.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('t = 0.00 s');
  expect(problems()).toEqual([]);
});
