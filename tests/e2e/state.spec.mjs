// URL state, export, keyboard and theme: the promises every widget makes.
import { test, expect } from '@playwright/test';
import fs from 'node:fs';
import { runCli, watchConsole, metricText } from './helpers.mjs';

async function exportJson(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  return fs.readFileSync(await download.path(), 'utf8');
}

// The same seed and params give byte-identical JSON natively (CLI) and in the browser (wasm).
const cases = [
  ['consistent-hashing', { nodes: '5', vnodes: '40', keys: '20000', placement: 'ring', change: 'add' }, 9],
  ['consistent-hashing', { hash: 'fast', placement: 'jump', nodes: '10', remove: '4' }, 1],
  ['autoscaling-calculator', { arrival_rate: '40', service_ms: '120', target_util: '80', sim_requests: '20000' }, 77],
  ['autoscaling-calculator', {}, 1],
  // the heavy-tailed, bursty, mixed-speed and fault paths too (libm everywhere)
  ['cache', {}, 1],
  ['cache', { policy: 'ttl', ttl_s: '0.5', write_fraction: '0.2', zipf_s: '1.1', cache_size: '50' }, 42],
  ['load-balancer', {}, 1],
  ['load-balancer', { speeds: 'mixed', arrivals: 'bursty', service: 'pareto', fault: 'slow', servers: '12', d: '3', requests: '6000' }, 42],
  ['load-balancer', { service: 'lognormal', zipf: '1.3', keys: '50', strategy: 'hash' }, 7],
  ['replication-lag', {}, 1],
  ['replication-lag', { replicas: '4', lag_dist: 'lognormal', lag_sigma: '2', policy: 'session', pause_for_s: '3' }, 42],
  ['thundering-herd', {}, 1],
  ['thundering-herd', { instances: '120', rate: '1500', zipf: '0.6', jitter: 'false', db_ms: '150' }, 42],
  ['work-stealing', { workers: '7', tasks: '3000', sizes: 'pareto', placement: 'zipf', skew: '1.5', policy: 'half_random', steal_cost_ms: '0.02' }, 5],
];
for (const [slug, knobs, seed] of cases) {
  test(`${slug} ${JSON.stringify(knobs)} seed ${seed}: browser export = CLI output, byte for byte`, async ({ page }) => {
    const q = new URLSearchParams({ ...knobs, seed: String(seed) });
    await page.goto(`/widget/${slug}?${q}`);
    await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
    await expect(page.getByRole('button', { name: 'Export JSON' })).toBeEnabled();
    const browser = await exportJson(page);
    const args = ['run', slug, '--seed', String(seed), ...Object.entries(knobs).flatMap(([k, v]) => ['--set', `${k}=${v}`])];
    expect(browser).toBe(runCli(args));
  });
}

test('every knob and the seed live in the URL; reload restores the exact run', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/widget/autoscaling-calculator');
  const seed = page.locator('#w-autoscaling-calculator-seed');
  await seed.fill('4242');
  await seed.press('Enter');
  const num = page.locator('.knob', { hasText: 'Arrival rate' }).locator('input.num');
  await num.fill('250');
  await num.press('Enter');
  await expect(page).toHaveURL(/arrival_rate=250/);
  await expect(page).toHaveURL(/seed=4242/);
  await expect(page.locator('[data-slug="autoscaling-calculator"]')).toHaveAttribute('aria-busy', 'false');
  const before = await metricText(page, 'p99');
  const json = await exportJson(page);
  await page.reload();
  await expect(page.locator('[data-slug="autoscaling-calculator"]')).toHaveAttribute('aria-busy', 'false');
  await expect(num).toHaveValue('250');
  await expect(seed).toHaveValue('4242');
  expect(await metricText(page, 'p99')).toBe(before);
  expect(await exportJson(page)).toBe(json);
  expect(problems()).toEqual([]);
});

test('models run in the web worker, off the main thread', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/widget/consistent-hashing?keys=200000');
  await expect(page.locator('html')).toHaveAttribute('data-runner', 'worker');
  await expect(page.locator('[data-slug="consistent-hashing"]')).toHaveAttribute('aria-busy', 'false');
  expect(problems()).toEqual([]);
});

test('typing a seed while the first run is still computing is not lost', async ({ page }) => {
  await page.goto('/widget/autoscaling-calculator?sim_requests=500000');
  const seed = page.locator('#w-autoscaling-calculator-seed');
  await seed.fill('31337');
  await seed.press('Enter');
  await expect(page).toHaveURL(/seed=31337/);
  await expect(seed).toHaveValue('31337');
});

test('garbage in the URL shows the clamp notice and a working widget', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/widget/consistent-hashing?nodes=-5&vnodes=1e9&placement=%3Cscript%3E&seed=banana&bogus=1');
  const notice = page.locator('.notice');
  await expect(notice).toContainText('Nodes must be a whole number from 1 to 64; using 1');
  await expect(notice).toContainText('Virtual nodes');
  await expect(notice).toContainText('could not read the seed');
  await expect(notice).toContainText('unknown setting “bogus”');
  await expect(page.locator('[data-metric="max_over_mean"] .value')).toBeVisible();
  expect(problems()).toEqual([]);
});

test('book pages keep each widget’s knobs under its own prefix', async ({ page }) => {
  await page.goto('/page/25?consistent-hashing.nodes=7');
  await expect(page.locator('#w-consistent-hashing-nodes')).toHaveValue('7');
  await page.goto('/page/22?autoscaling-calculator.target_util=50');
  await expect(page.locator('[data-metric="formula_instances"]')).toHaveText('200');
});

test('the book’s consistent-hashing example is reproduced exactly', async ({ page }) => {
  await page.goto('/widget/consistent-hashing');
  await expect(page.locator('[data-metric="moved"] .value')).toHaveText('3\u2009114');
  await expect(page.getByTestId('book-snippet')).toContainText('3\u2009333 keys moved (33.3');
  await expect(page.getByText('db1 36.8 %')).toBeVisible();
});

test('controls work from the keyboard', async ({ page }) => {
  await page.goto('/widget/consistent-hashing');
  const slider = page.locator('#w-consistent-hashing-nodes');
  await slider.focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.locator('.knob', { hasText: 'Nodes' }).first().locator('input.num')).toHaveValue('4');
  await expect(page).toHaveURL(/nodes=4/);
  await page.locator('#w-consistent-hashing-placement').selectOption('mod');
  await expect(page).toHaveURL(/placement=mod/);
});

test('the theme toggle switches and persists; the OS preference is the default', async ({ page }) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto('/widget/consistent-hashing');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await page.getByRole('button', { name: 'Switch to the light theme' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
});

test('the live queue plays, pauses and steps', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/widget/autoscaling-calculator?arrival_rate=20&service_ms=200');
  const status = page.locator('.player .status');
  await expect(status).toContainText('0 arrived');
  await page.getByRole('button', { name: 'Step' }).click();
  await expect(status).toContainText('1 arrived');
  await page.getByRole('button', { name: '▶ Play' }).click();
  await expect.poll(async () => Number((await status.innerText()).match(/· ([\d\u2009]+) arrived/)[1].replace(/\u2009/g, '')), { timeout: 10_000 }).toBeGreaterThan(3);
  await page.getByRole('button', { name: '❚❚ Pause' }).click();
  await page.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('0 arrived');
  expect(problems()).toEqual([]);
});

test('a stochastic widget runs a batch of seeded trials in the background', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto('/widget/autoscaling-calculator?arrival_rate=10&service_ms=500&instances=6&sim_requests=5000');
  await page.getByRole('button', { name: 'Run 100 trials' }).click();
  const table = page.getByTestId('trials');
  await expect(table).toBeVisible({ timeout: 30_000 });
  const row = table.locator('tr', { hasText: 'sim p wait' });
  // Erlang C for a = 5, c = 6 is 0.5875: the mean over 100 short runs must land near it
  const mean = Number(await row.locator('td').nth(1).innerText());
  expect(mean).toBeGreaterThan(0.5);
  expect(mean).toBeLessThan(0.67);
  expect(problems()).toEqual([]);
});
