// End-to-end tests against the release build in Debian's Chromium (never a downloaded browser).
// scripts/test.sh builds dist/ and the CLI first, then runs: playwright test -c tests/e2e
import { defineConfig } from '@playwright/test';

// tests/book embeds widgets from 127.0.0.1:8091; other ports suit runs without embed.spec
const PORT = Number(process.env.E2E_PORT || 8091);
const BOOK_PORT = Number(process.env.E2E_BOOK_PORT || 8094);
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.mjs/,
  timeout: 60_000,
  retries: 0,
  workers: 2,
  reporter: [['list']],
  outputDir: '../../test-results/e2e',
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    },
    acceptDownloads: true,
  },
  webServer: [
    {
      // the site, with its Content-Security-Policy, as deployed
      command: `python3 ../../scripts/serve_dist.py --dir ../../dist --port ${PORT} --csp`,
      url: `http://127.0.0.1:${PORT}/`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
    {
      // a real MkDocs-Material book (tests/book, built by scripts/test.sh) on another origin
      command: `python3 -m http.server ${BOOK_PORT} --bind 127.0.0.1 --directory ../../test-results/book`,
      url: `http://127.0.0.1:${BOOK_PORT}/`,
      reuseExistingServer: false,
      timeout: 30_000,
    },
  ],
});
