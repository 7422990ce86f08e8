// pillar-map (book page 21): the map's measured numbers on screen, number for number with the
// native core; every link on it resolves to a real page or widget and opens it; clicks on the
// axioms, the house and the matrix set the knobs (and the URL restores them).
import { test, expect } from '@playwright/test';
import { runCli, watchConsole, widgets } from './helpers.mjs';

const slug = 'pillar-map';
const text = async (page, key) => (await page.locator(`[data-metric="${key}"] .value`).first().innerText()).trim();

async function ready(page) {
  await expect(page.locator(`[data-slug="${slug}"]`)).toHaveAttribute('aria-busy', 'false');
  await expect(page.locator('[data-metric="crossing"] .value')).toBeVisible();
}

test('pillar-map: the default map on screen, number for number with the native core', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  const r = JSON.parse(runCli(['run', slug])).report;
  expect(r.total).toBe(widgets.length);
  expect(await text(page, 'widgets')).toBe(String(r.total));
  expect(await text(page, 'crossing')).toBe(`${r.checks.crossing} of ${r.checks.widgets}`);
  expect(await text(page, 'pairs')).toBe(`${r.checks.pairs_covered} of 10`);
  expect(await text(page, 'cell')).toBe(String(r.selected.widgets.length));
  expect(await text(page, 'focus')).toBe('0 of 5');
  expect(await text(page, 'emerged')).toBe('5 of 5');
  // the measured story: most widgets cross pillars; State × Truth is the busiest pair
  expect(r.checks.crossing / r.checks.widgets).toBeGreaterThan(0.5);
  expect(r.selected.label).toBe('State × Truth');
  expect(r.checks.busiest_pair[0]).toBe('State × Truth');
  await expect(page.locator('.pm-cell-panel li')).toHaveCount(r.selected.widgets.length);
  await expect(page.locator('.pm-matrix button.pm-cell')).toHaveCount(25);
  await expect(page.locator('.pm-timeline li')).toHaveCount(7);
  await expect(page.locator('canvas')).toHaveCount(1);
  expect(problems()).toEqual([]);
});

test('pillar-map: no dead links, and a cell link opens its widget', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}?focus=work`);
  await ready(page);
  const slugs = new Set(widgets.map((w) => w.slug));
  const hrefs = await page.locator('.pm a[href]').evaluateAll((as) => as.map((a) => new URL(a.href).pathname));
  expect(hrefs.length).toBeGreaterThan(10);
  for (const h of hrefs) {
    const m = h.match(/^\/(page|widget)\/([^/]+)$/);
    expect(m, h).not.toBeNull();
    if (m[1] === 'page') expect(Number(m[2])).toBeGreaterThanOrEqual(21), expect(Number(m[2])).toBeLessThanOrEqual(32);
    else expect(slugs.has(m[2]), h).toBe(true);
  }
  await page.locator('.pm-cell-panel a', { hasText: 'CAP under partition' }).click();
  await expect(page).toHaveURL(/\/widget\/cap-partition$/);
  await expect(page.locator('h1')).toHaveText('CAP under partition');
  expect(problems()).toEqual([]);
});

test('pillar-map: axioms, the house and the matrix set the knobs; the URL restores them', async ({ page }) => {
  const problems = watchConsole(page);
  await page.goto(`/widget/${slug}`);
  await ready(page);
  // latency: work, state and intelligence wrestle with it
  await page.locator('.pm-axiom[data-axiom="latency"]').click();
  await expect.poll(async () => text(page, 'focus')).toBe('3 of 5');
  for (const id of ['work', 'state', 'intelligence']) {
    await expect(page.locator(`.pm-part[data-pillar="${id}"]`)).toHaveAttribute('aria-pressed', 'true');
  }
  await expect(page.locator('.pm-part[data-pillar="truth"]')).toHaveAttribute('aria-pressed', 'false');
  // the foundation, by keyboard
  await page.locator('.pm-part[data-pillar="truth"]').focus();
  await page.keyboard.press('Enter');
  await expect.poll(async () => text(page, 'focus')).toBe('1 of 5');
  await expect(page.locator('[data-testid="focus-panel"] h4')).toContainText('Truth');
  // a matrix cell the page names but no widget of ours fills
  await page.locator('[data-cell="truth-intelligence"]').click();
  await expect.poll(async () => text(page, 'cell')).toBe('0');
  await expect(page).toHaveURL(/row=truth/);
  await page.reload();
  await ready(page);
  expect(await text(page, 'cell')).toBe('0');
  expect(await text(page, 'focus')).toBe('1 of 5');
  // walking the timeline: by 1985 only work and state have emerged; the rest are drawn faded
  await page.getByRole('button', { name: 'The house in 1985' }).click();
  await expect.poll(async () => text(page, 'emerged')).toBe('2 of 5');
  await expect(page.locator('.pm-part[data-pillar="state"]')).not.toHaveClass(/pm-future/);
  await expect(page.locator('.pm-part[data-pillar="truth"]')).toHaveClass(/pm-future/);
  await expect(page.locator('.pm-era.now')).toContainText('1980s');
  // the generated control does the same as the diagram
  await page.getByLabel('Focus', { exact: true }).selectOption('observability');
  await expect.poll(async () => text(page, 'focus')).toBe('2 of 5');
  expect(problems()).toEqual([]);
});
