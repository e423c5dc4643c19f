// What the browser scripts share: Chromium through playwright-core, bounded steps that say what
// they waited for, and opening a notebook in JupyterLab with the "Mesos (Rust)" kernel ready.
// Every wait is bounded and waits on a DOM or model condition; nothing sleeps.

import { chromium } from 'playwright-core';

export const KERNEL_DISPLAY_NAME = 'Mesos (Rust)';
const CHROMIUM = '/usr/bin/chromium';
// Bounds, in milliseconds.
export const LOAD_MS = 120_000;
export const KERNEL_MS = 120_000;
export const UI_MS = 30_000;

const started = Date.now();
let current = 'starting';
/** Logs a step with the seconds since start; a failure names the step it happened in. */
export function step(what) {
  current = what;
  console.log(`[${((Date.now() - started) / 1000).toFixed(1)} s] ${what}`);
}

/** A failed step: says what it was waiting for and what the page showed instead. */
export class StepFailure extends Error {}

/** Awaits promise; on failure, throws a StepFailure with detail() appended. */
export async function expectWithin(promise, detail) {
  try {
    return await promise;
  } catch (e) {
    const more = typeof detail === 'function' ? await detail().catch((d) => `(could not describe: ${d})`) : '';
    throw new StepFailure(`${e.message.split('\n')[0]}${more ? `\n${more}` : ''}`);
  }
}

/** Headless Chromium with one page; `window.codeCellsOf(path)` reads a notebook's code cells from
 * JupyterLab's model (what the DOM holds depends on rendering; the model is the notebook). */
export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in a container has no user namespaces for Chromium's sandbox.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.addInitScript(() => {
    window.codeCellsOf = (notebookPath) => {
      const panel = [...(window.jupyterapp?.shell.widgets('main') ?? [])].find((w) => w.context?.path === notebookPath);
      if (!panel) return [];
      return [...panel.content.model.cells]
        .filter((c) => c.type === 'code')
        .map((c) => ({ count: c.executionCount, source: c.sharedModel.getSource() }));
    };
  });
  const pageErrors = [];
  // JupyterLab 4.6's debugger extension throws "No active debugger session" after every
  // execute_reply from a kernel without debugger support (its executionDone handler calls
  // displayModules unconditionally); such page errors are listed, not failed on.
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // The page's own console errors, shown when a step fails.
  const consoleErrors = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  return { browser, page, pageErrors, consoleErrors };
}

/** Opens notebookPath in JupyterLab and waits until its kernel is "Mesos (Rust)" and idle,
 * picking the kernel if JupyterLab asks. Returns the visible notebook panel's locator. */
export async function openNotebook(page, { url, token }, notebookPath) {
  const panel = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const codeCells = panel.locator('.jp-Notebook .jp-CodeCell');
  step(`opening ${notebookPath} in JupyterLab`);
  const address = `${url}/lab/tree/${notebookPath.split('/').map(encodeURIComponent).join('/')}?token=${encodeURIComponent(token)}`;
  await page.goto(address, { timeout: LOAD_MS });
  await expectWithin(codeCells.first().waitFor({ state: 'visible', timeout: LOAD_MS }),
    async () => `page title: ${await page.title()}`);

  step(`making sure the kernel is "${KERNEL_DISPLAY_NAME}"`);
  // The notebook names the kernelspec `mesos` in its metadata, so JupyterLab should start it by
  // itself; if it asks instead (kernelspec unknown to it, or a notebook without metadata), pick it.
  const kernelName = panel.locator('.jp-Toolbar-kernelName');
  const kernelDialog = page.locator('.jp-Dialog').filter({ hasText: /Select Kernel/i });
  const toolbarKernel = async () => `toolbar kernel: ${await kernelName.innerText().catch(() => '(none)')}`;
  await expectWithin(
    Promise.race([
      kernelName.filter({ hasText: KERNEL_DISPLAY_NAME }).waitFor({ timeout: KERNEL_MS }),
      kernelDialog.waitFor({ timeout: KERNEL_MS }),
    ]),
    toolbarKernel,
  );
  if (await kernelDialog.isVisible()) {
    step('kernel dialog shown: selecting the kernel');
    await kernelDialog.locator('select').selectOption({ label: KERNEL_DISPLAY_NAME });
    await kernelDialog.getByRole('button', { name: 'Select' }).click();
  }
  await expectWithin(kernelName.filter({ hasText: KERNEL_DISPLAY_NAME }).waitFor({ timeout: KERNEL_MS }), toolbarKernel);
  // The kernel indicator says idle once the kernel answered kernel_info.
  const indicator = panel.locator('.jp-Notebook-ExecutionIndicator');
  await expectWithin(
    page.waitForFunction(
      () => document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator')?.dataset.status === 'idle',
      null, { timeout: KERNEL_MS }),
    async () => `kernel indicator: ${await indicator.getAttribute('data-status').catch(() => '(none)')}`,
  );
  return panel;
}

/** Runs body(page); on failure prints which step failed and why, with a full-page screenshot at
 * failureShot. Closes the browser and exits the process: 0 on success, 1 on failure. */
export async function runSteps(failureShot, body) {
  const { browser, page, pageErrors, consoleErrors } = await launch();
  let status = 0;
  try {
    await body(page);
    if (pageErrors.length) console.log(`  page errors seen (not failing on them): ${pageErrors.join(' | ')}`);
    step('passed');
  } catch (e) {
    status = 1;
    const why = e instanceof StepFailure ? e.message : (e.stack || String(e));
    console.error(`FAILED while ${current}:\n${why}`);
    if (consoleErrors.length) console.error(`the page's console errors:\n  ${consoleErrors.join('\n  ')}`);
    await page.screenshot({ path: failureShot, fullPage: true }).then(
      () => console.error(`screenshot of the failure: ${failureShot}`),
      (err) => console.error(`(no failure screenshot: ${err.message})`),
    );
  } finally {
    await browser.close();
  }
  process.exit(status);
}
