// A subshell console in JupyterLab, as a person would use one (messaging 5.5, JEP 91): "New
// Subshell Console for Notebook" (offered by JupyterLab only to kernels that declare subshells)
// opens a console on the notebook's kernel; the notebook then runs `%events --follow`, which
// holds its shell until interrupted, and `%status` and `%tasks` in the console answer while the
// notebook's cell still runs. (The console is opened while the kernel is idle: opened while it
// is busy, jupyter_server does not nudge the new connection's IOPub, and the idle status of the
// console's first kernel_info, answered at once, can be published before that IOPub subscribed.)
// Then Kernel > Interrupt Kernel ends the notebook's cell.
//
//   node tests/browser/subshell.mjs --url http://127.0.0.1:PORT --token TOKEN \
//        --notebook subshell.ipynb --framework NAME --artifacts tests/artifacts
//
// The notebook's first code cell subscribes framework NAME; its second runs `%events --follow`.

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { KERNEL_MS, StepFailure, UI_MS, expectWithin, openNotebook, runSteps, step } from './lab.mjs';

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    notebook: { type: 'string' },
    framework: { type: 'string' },
    artifacts: { type: 'string', default: 'tests/artifacts' },
  },
});
for (const k of ['url', 'token', 'notebook', 'framework']) {
  if (!opts[k]) {
    console.error(`usage: subshell.mjs --url URL --token TOKEN --notebook PATH --framework NAME [--artifacts DIR] (missing --${k})`);
    process.exit(2);
  }
}
mkdirSync(opts.artifacts, { recursive: true });
const SHOT = path.join(opts.artifacts, 'browser-subshell.png');
const FAILURE_SHOT = path.join(opts.artifacts, 'browser-failure-subshell.png');

await runSteps(FAILURE_SHOT, async (page) => {
  const counts = () => page.evaluate((p) => window.codeCellsOf(p).map((c) => c.count), opts.notebook);
  const kernelStatus = () => page.evaluate((p) => {
    const panel = [...window.jupyterapp.shell.widgets('main')].find((w) => w.context?.path === p);
    return panel?.sessionContext.session?.kernel?.status;
  }, opts.notebook);
  const describe = async () => `execution counts: ${JSON.stringify(await counts())}, kernel: ${await kernelStatus()}`;

  await openNotebook(page, opts, opts.notebook);

  step('command palette: "New Subshell Console for Notebook"');
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook').click();
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+Shift+C');
  const palette = page.locator('.lm-CommandPalette');
  await expectWithin(palette.locator('input').waitFor({ state: 'visible', timeout: UI_MS }), async () => 'no command palette');
  await page.keyboard.type('New Subshell Console');
  const item = palette.locator('.lm-CommandPalette-item', { hasText: 'New Subshell Console for Notebook' });
  await expectWithin(item.first().waitFor({ state: 'visible', timeout: UI_MS }),
    async () => `palette items: ${JSON.stringify(await palette.locator('.lm-CommandPalette-item').allInnerTexts())}` +
      ' (JupyterLab lists the command only for kernels that declare "kernel subshells")');
  await item.first().click();

  step('the console is ready: its subshell is created');
  const console_ = page.locator('.jp-ConsolePanel:not(.lm-mod-hidden)');
  const input = console_.locator('.jp-CodeConsole-promptCell .cm-content');
  await expectWithin(input.waitFor({ state: 'visible', timeout: KERNEL_MS }), async () => 'no console prompt');
  // The console asks for kernel_info, then creates its subshell; until then it would execute on
  // the main shell.
  const subshellOfConsole = () => [...window.jupyterapp.shell.widgets('main')]
    .find((w) => w.console && !w.isHidden)?.sessionContext.session?.kernel?.subshellId;
  const subshellId = await expectWithin(
    page.waitForFunction(subshellOfConsole, null, { timeout: KERNEL_MS }).then((h) => h.jsonValue()),
    async () => `the console's kernel connection has no subshell id; ${await describe()}`,
  );
  console.log(`  the console runs on subshell ${subshellId}`);
  step('Run > Run All Cells in the notebook: subscribe, then `%events --follow`, which runs until interrupted');
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook').click();
  await page.getByRole('menuitem', { name: 'Run', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Run All Cells/ }).click();
  // The first cell has its count; the second has started (JupyterLab marks it "[*]") and holds
  // the main shell.
  const following = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell').nth(1);
  await expectWithin(
    page.waitForFunction((p) => Number.isInteger(window.codeCellsOf(p)[0]?.count), opts.notebook, { timeout: KERNEL_MS }),
    describe,
  );
  await expectWithin(
    following.locator('.jp-InputArea-prompt', { hasText: '[*]' }).waitFor({ timeout: UI_MS }),
    describe,
  );

  step('the console: `%status`, while the notebook\'s cell still runs');
  await input.click();
  await page.keyboard.type('%status');
  await page.keyboard.press('Shift+Enter');
  const outputs = console_.locator('.jp-CodeConsole-content .jp-OutputArea-output');
  const consoleOutputs = async () => `console outputs: ${JSON.stringify(await outputs.allInnerTexts())}; ${await describe()}`;
  await expectWithin(outputs.filter({ hasText: opts.framework }).first().waitFor({ state: 'visible', timeout: UI_MS }), consoleOutputs);
  step('the console: `%tasks`');
  await input.click();
  await page.keyboard.type('%tasks');
  await page.keyboard.press('Shift+Enter');
  // No task was launched: the cluster's task table says so.
  await expectWithin(outputs.filter({ hasText: /\b0 tasks\b/ }).first().waitFor({ state: 'visible', timeout: UI_MS }), consoleOutputs);
  // Still running: a console on the main shell would have queued behind it and never answered.
  const stillRunning = (await counts())[1] == null;
  console.log(`  the console answered; the notebook's second cell still running: ${stillRunning}`);
  if (!stillRunning) throw new StepFailure(`the notebook's cell ended before the console answered: ${await describe()}`);
  await page.screenshot({ path: SHOT });

  step('Kernel > Interrupt Kernel ends the notebook\'s cell');
  await page.locator('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook').click();
  await page.getByRole('menuitem', { name: 'Kernel', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Interrupt Kernel/ }).click();
  await expectWithin(
    page.waitForFunction((p) => Number.isInteger(window.codeCellsOf(p)[1]?.count), opts.notebook, { timeout: UI_MS }),
    describe,
  );
});
