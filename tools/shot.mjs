// Screenshot a page for a human to look at: node tools/shot.mjs URL OUT.png [width] [dark|light]
// Prints console messages and errors so a broken page is visible at once.
import { chromium } from 'playwright-core';
const [url, out, width = '1280', scheme = 'light', height = '900'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
const page = await browser.newPage({ viewport: { width: +width, height: +height }, colorScheme: scheme, deviceScaleFactor: 1 });
page.on('console', m => console.log(`[console.${m.type()}] ${m.text()}`));
page.on('pageerror', e => console.log(`[pageerror] ${e.message}`));
await page.goto(url);
await page.waitForTimeout(+(process.env.WAIT || 1500));
await page.screenshot({ path: out, fullPage: process.env.FULL !== '0' });
await browser.close();
