/**
 * Galata UI tests against a real `jupyter lab` (see jupyter_server_test_config.py),
 * driven through the system's Chromium: Playwright cannot download browsers here.
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const port = process.env.MLSERVICE_UI_PORT || '18765';
const token = process.env.MLSERVICE_UI_TOKEN || 'mlservice-ui-tests-token';
process.env.MLSERVICE_UI_PORT = port;
process.env.MLSERVICE_UI_TOKEN = token;

module.exports = {
  ...baseConfig,
  reporter: [['list'], ['html', { open: 'never' }]],
  timeout: 240000,
  expect: { timeout: 30000 },
  retries: 0,
  workers: 1,
  use: {
    ...baseConfig.use,
    baseURL: `http://127.0.0.1:${port}`,
    // Token auth: the page and Galata's own REST calls send it; the app then
    // reads it from the page config for its requests and websockets.
    extraHTTPHeaders: { Authorization: `token ${token}` },
    viewport: { width: 1280, height: 800 },
    trace: 'off',
    video: 'off',
    launchOptions: {
      executablePath: process.env.MLSERVICE_CHROMIUM || '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: 'jupyter lab --config jupyter_server_test_config.py',
    url: `http://127.0.0.1:${port}/api/status?token=${token}`,
    timeout: 180000,
    reuseExistingServer: false,
    stdout: 'pipe',
    stderr: 'pipe',
    // SIGTERM, so the server stops what it started (pre-started kernels included) before it exits
    gracefulShutdown: { signal: 'SIGTERM', timeout: 20000 }
  }
};
