// saga (book page 29): the traced order's numbers on screen match the native core, the
// happy-path counts match the formulas (8 messages vs 4 events / 16 on the wire), a "Try this"
// changes the compensations, and the live swimlanes step and take an injected failure.
import { test, expect } from '@playwright/test';
import { runCli, watchConsole } from './helpers.mjs';

const slug = 'saga';
const num = (s) => Number(s.replace(/[\u2009\u00a0\s]/g, '').replace(/(ms|logs?)$/, ''));
const value = async (page, key) => num(await page.locator(`[data-metric="${key}"] .value`).first().innerText());
const sig3 = (x) => (x >= 100 ? Math.round(x) : x >= 10 ? Math.round(x * 10) / 10 : Math.round(x * 100) / 100);

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="orch_settled"] .value')).toBeVisible();
}

test('saga: the default order on screen, number for number with the native core', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  const [o, c] = r.runs;
  expect(o.style).toBe('orchestration');
  expect(c.style).toBe('choreography');
  // out of stock at inventory: two compensations, in reverse order under orchestration
  expect(o.comp_order).toEqual([2, 1]);
  expect(c.counts.compensations).toBe(2);
  expect(await value(page, 'orch_settled')).toBe(sig3(o.settled_ms));
  expect(await value(page, 'chor_settled')).toBe(sig3(c.settled_ms));
  expect(await value(page, 'orch_wire')).toBe(o.counts.wire);
  expect(await value(page, 'chor_wire')).toBe(c.counts.wire);
  expect(await value(page, 'orch_comp')).toBe(2);
  expect(await value(page, 'chor_comp')).toBe(2);
  expect(await value(page, 'orch_places')).toBe(1);
  expect(await value(page, 'chor_places')).toBe(c.places);
  expect(c.places).toBeGreaterThan(1);
  await expect(page.locator('[data-metric="consistent"] .value')).toHaveText('yes');
  await expect(page.locator('svg.saga-lanes')).toHaveCount(2);
  await expect(page.locator('canvas')).toHaveCount(2);
  expect(problems()).toEqual([]);
});

test('saga: happy path without jitter matches the formulas', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?fail_step=none&jitter_pct=0`);
  await ready(page);
  // 8 messages and 8 hops of 20 ms; 4 events = 16 on the wire, 4 × (2 × 20 + 5) ms
  expect(await value(page, 'orch_wire')).toBe(8);
  expect(await value(page, 'chor_wire')).toBe(16);
  expect(await value(page, 'orch_settled')).toBe(160);
  expect(await value(page, 'chor_settled')).toBe(180);
  expect(await value(page, 'orch_comp')).toBe(0);
  expect(problems()).toEqual([]);
});

test('saga: a Try this changes the compensations; shipping failing undoes three steps', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  expect(await value(page, 'orch_comp')).toBe(2);
  await page.getByRole('button', { name: 'Card declined' }).click();
  await expect.poll(async () => value(page, 'orch_comp'), { timeout: 10_000 }).toBe(1);
  await page.getByRole('button', { name: 'Shipping fails (three undos)' }).click();
  await expect.poll(async () => value(page, 'orch_comp'), { timeout: 10_000 }).toBe(3);
  await expect(page.locator('[data-metric="orch_comp"] .sub')).toContainText('inventory → payment → order');
  expect(await value(page, 'chor_comp')).toBe(3);
  expect(problems()).toEqual([]);
});

test('saga: the live swimlanes step and take an injected failure', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?fail_step=none`);
  await ready(page);
  const live = page.locator('.live');
  const status = live.locator('.player .status');
  await expect(status).toContainText('t = 0 ms');
  await live.getByRole('button', { name: 'Step', exact: true }).click();
  await live.getByRole('button', { name: 'Step', exact: true }).click();
  await live.getByRole('button', { name: 'Fail the next step now' }).click();
  await expect(live.locator('.saga-poked').first()).toContainText('failure injected at');
  // play it out one event at a time (stepping past the end does nothing)
  for (let i = 0; i < 60; i++) await live.getByRole('button', { name: 'Step', exact: true }).click();
  await expect(live.locator('figcaption').first()).toContainText('aborted');
  await live.getByRole('button', { name: 'Reset' }).click();
  await expect(status).toContainText('t = 0 ms');
  expect(problems()).toEqual([]);
});

test('saga: the key lists every kind of row the diagrams draw, in the same colour and dash', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?fail_step=shipping`);
  await ready(page);
  const live = page.locator('.live');
  const items = live.locator('.saga-key .saga-key-item');
  await expect(items).toHaveCount(6);
  const key = await live.locator('.saga-key svg line').evaluateAll((ls) =>
    ls.map((l) => ({ label: l.closest('.saga-key-item').textContent.trim(), stroke: l.getAttribute('stroke'), dash: l.getAttribute('stroke-dasharray') })));
  expect(key.map((k) => k.label)).toEqual(['command or event', 'reply', 'failure', 'undo', 'ack']);
  const rows = await live.locator('.saga-msg > line').evaluateAll((ls) =>
    ls.map((l) => ({ stroke: l.getAttribute('stroke'), dash: l.getAttribute('stroke-dasharray'), ack: l.closest('.saga-msg').classList.contains('saga-ack'), lost: l.closest('.saga-msg').classList.contains('saga-lost') })));
  expect(rows.length).toBeGreaterThan(10);
  const strokes = new Set(rows.map((r) => r.stroke));
  // a failing shipping step draws failures and undos as well as commands and replies
  for (const label of ['command or event', 'reply', 'failure', 'undo']) {
    expect(strokes.has(key.find((k) => k.label === label).stroke), label).toBe(true);
  }
  for (const r of rows) {
    const k = key.find((k) => k.stroke === r.stroke);
    expect(k, `row stroke ${r.stroke} is in the key`).toBeTruthy();
    expect(r.ack).toBe(k.label === 'ack');
    if (!r.lost) expect(r.dash).toBe(k.dash);
  }
  expect(problems()).toEqual([]);
});
