// datastore-picker (book page 26): the wizard, the tree, the e-commerce map and the two matrices,
// all driven by the same knobs; the reference counts on screen equal the native core's.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { runCli, watchConsole, metricText } from './helpers.mjs';

const slug = 'datastore-picker';
const value = async (page, key) => (await page.locator(`[data-metric="${key}"] .value`).first().innerText()).trim();

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="pick"] .value')).toBeVisible();
}

test('datastore-picker: the book tables and the reference counts are on screen', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const cli = JSON.parse(runCli(['run', slug])).report;
  expect(await value(page, 'pick')).toBe('PostgreSQL');
  expect(cli.pick.name).toBe('PostgreSQL');
  // budget Medium: Rel→KV, Rel→Doc and Any→TS of the six changes
  expect(await value(page, 'within_budget')).toBe('3 of 6');
  expect(await value(page, 'from_pick')).toBe('3 of 4');
  // the framework reproduces 6 of the book's 8 e-commerce stores, all 8 data models
  expect(await value(page, 'ecommerce')).toBe(`${cli.ecommerce_exact} of 8`);
  expect(cli.ecommerce_exact).toBe(6);
  expect(await metricText(page, 'ecommerce')).toContain('8 of 8 by data model');
  await expect(page.getByTestId('use-cases').locator('tbody tr')).toHaveCount(8);
  await expect(page.getByTestId('transforms').locator('tbody tr')).toHaveCount(6);
  await expect(page.locator('svg.dp-tree [role=button]')).toHaveCount(11);
  await expect(page.locator('svg.dp-shop [role=button]')).toHaveCount(8);
  await expect(page.locator('canvas')).toHaveCount(1);
  expect(problems()).toEqual([]);
});

test('datastore-picker: answering the wizard changes the recommendation and the URL', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  await page.getByRole('button', { name: 'Time-based', exact: true }).click();
  await expect(page).toHaveURL(/pattern=time/);
  await page.getByRole('button', { name: /^Events/ }).click();
  await expect(page).toHaveURL(/time_need=events/);
  await expect.poll(() => value(page, 'pick')).toBe('Kafka + S3');
  await expect(page.getByTestId('pick')).toContainText('replayable');
  // the knob in the Controls panel follows the wizard
  await expect(page.locator(`#w-${slug}-pattern`)).toHaveValue('time');
  // a numeric control changes a metric
  const num = page.locator('.knob', { hasText: 'Migration budget' }).locator('input.num');
  await num.fill('4');
  await num.press('Enter');
  await expect(page).toHaveURL(/budget=4/);
  await expect.poll(() => value(page, 'within_budget')).toBe('6 of 6');
  expect(problems()).toEqual([]);
});

test('datastore-picker: the shop map and the tree drive the wizard; tables sort and filter', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  await page.locator('svg.dp-shop [role=button]', { hasText: 'Product catalog' }).click();
  await expect(page).toHaveURL(/query_need=search/);
  await expect.poll(() => value(page, 'pick')).toBe('Elasticsearch');
  await expect(page.getByTestId('use-cases').locator('tr.dp-marked')).toContainText('Log search');
  await page.locator('svg.dp-tree [role=button]', { hasText: 'Neo4j' }).click();
  await expect.poll(() => value(page, 'pick')).toBe('Neo4j');
  await expect(page.locator('svg.dp-shop [aria-pressed=true]')).toContainText('Recommendations');
  // keyboard: focus a tree leaf and press Enter
  await page.locator('svg.dp-tree [role=button]', { hasText: 'Glacier' }).focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => value(page, 'pick')).toBe('Glacier');
  // sort the transformation matrix by difficulty, descending puts Very hard first
  const t = page.getByTestId('transforms');
  const head = t.locator('th', { hasText: 'Difficulty' });
  await head.getByRole('button').click();
  await expect(head).toHaveAttribute('aria-sort', 'ascending');
  await head.getByRole('button').click();
  await expect(head).toHaveAttribute('aria-sort', 'descending');
  await expect(t.locator('tbody tr').first()).toContainText('Very hard');
  // filter
  await page.getByLabel('Filter use cases').fill('graph');
  await expect(page.getByTestId('use-cases').locator('tbody tr')).toHaveCount(1);
  // a row's "follow" sets the wizard
  await page.getByRole('button', { name: 'Follow Social graph in the wizard' }).click();
  await expect.poll(() => value(page, 'pick')).toBe('Neo4j');
  expect(problems()).toEqual([]);
});

test('datastore-picker: the browser export equals the native CLI byte for byte', async ({ page }) => {
  const knobs = { pattern: 'relations', relation_need: 'hierarchy', budget: '3' };
  await page.goto(`/widget/${slug}?${new URLSearchParams(knobs)}`);
  await ready(page);
  await expect(page.getByRole('button', { name: 'Export JSON' })).toBeEnabled();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  const browser = fs.readFileSync(await download.path(), 'utf8');
  const args = ['run', slug, '--seed', '1', ...Object.entries(knobs).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
  expect(browser).toBe(runCli(args));
});
