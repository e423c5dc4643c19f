// Drives JupyterLab in Debian's Chromium through playwright-core, like a person would:
// opens a notebook with the "Mesos (Rust)" kernel, runs all its cells (only cells tagged
// raises-exception may show an error), then checks that the offers table rendered as an HTML
// <table>, that Tab after `%sub` offers `%subscribe`, and that the pictures are drawn. With
// --run-only it stops after Run All and its check (for notebooks without offers or pictures).
//
//   node tests/browser/notebook.mjs --url http://127.0.0.1:PORT --token TOKEN \
//        --notebook 01-cluster-tour.ipynb --artifacts tests/artifacts [--run-only]
//
// tests/test_browser.py starts the JupyterLab server (on a temporary copy of the notebooks) and
// runs this script. Every wait is bounded and waits on a DOM condition; nothing sleeps. The
// notebook is never saved. Exit status 0 on success; otherwise 1 and a message saying which
// step failed, plus a screenshot of that moment (browser-failure.png).

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { StepFailure, UI_MS, expectWithin, openNotebook, runSteps, step } from './lab.mjs';

// The run bound, in milliseconds, covers the first cell's evcxr warm-up on a busy 2-core machine
// plus the notebook's own waits (`%offers --wait 10s`, `%launch --wait ...`).
const RUN_MS = 420_000;

const { values: opts } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string' },
    notebook: { type: 'string' },
    artifacts: { type: 'string', default: 'tests/artifacts' },
    'run-only': { type: 'boolean', default: false },
  },
});
for (const k of ['url', 'token', 'notebook']) {
  if (!opts[k]) {
    console.error(`usage: notebook.mjs --url URL --token TOKEN --notebook PATH [--artifacts DIR] [--run-only] (missing --${k})`);
    process.exit(2);
  }
}
mkdirSync(opts.artifacts, { recursive: true });
const SHOT = path.join(opts.artifacts, 'browser-notebook.png');
const OFFERS_SHOT = path.join(opts.artifacts, 'browser-offers.png');
const AGENTS_SHOT = path.join(opts.artifacts, 'browser-agents.png');
const TIMELINE_SHOT = path.join(opts.artifacts, 'browser-timeline.png');
const STEM = path.basename(opts.notebook, '.ipynb');
// Runs of several notebooks keep a screenshot each.
const RUN_SHOT = path.join(opts.artifacts, `browser-run-${STEM}.png`);
const FAILURE_SHOT = path.join(opts.artifacts, opts['run-only'] ? `browser-failure-${STEM}.png` : 'browser-failure.png');

await runSteps(FAILURE_SHOT, async (page) => {
  const codeCellsInModel = () => page.evaluate((p) => window.codeCellsOf(p), opts.notebook);
  const panel = page.locator('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const notebook = panel.locator('.jp-Notebook');
  const codeCells = notebook.locator('.jp-CodeCell');
  const prompts = codeCells.locator('.jp-InputArea-prompt');

  // What every code cell's prompt says ("[3]:", "[*]:", "[ ]:"), for messages and conditions.
  const describeCells = async () => {
    const texts = await prompts.allInnerTexts();
    const errors = await notebook
      .locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"], .jp-OutputArea-output .jp-RenderedText[data-mime-type="application/vnd.jupyter.error"]')
      .allInnerTexts();
    const counts = (await codeCellsInModel()).map((c) => c.count ?? ' ');
    return `code cell prompts: ${texts.map((t) => t.trim() || '[ ]').join(' ')}` +
      `\nexecution counts in the model: ${counts.map((c) => `[${c}]`).join(' ')}` +
      (errors.length ? `\nerror/stderr outputs:\n${errors.map((e) => e.slice(0, 500)).join('\n---\n')}` : '');
  };

  await openNotebook(page, opts, opts.notebook);

  step('clearing outputs, so the run below is the only source of prompts and outputs');
  await page.getByRole('menuitem', { name: 'Edit', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Clear Outputs of All Cells/ }).click();
  await expectWithin(
    page.waitForFunction(
      (path) => window.codeCellsOf(path).every((c) => c.count === null),
      opts.notebook, { timeout: UI_MS }),
    describeCells,
  );

  step('Run > Run All Cells');
  const cellCount = (await codeCellsInModel()).length;
  await page.getByRole('menuitem', { name: 'Run', exact: true }).click();
  await page.getByRole('menuitem', { name: /^Run All Cells/ }).click();

  step(`waiting for all ${cellCount} code cells to have run and the kernel to be idle`);
  // Done means: every code cell of the notebook's model has an execution count (none queued or
  // unrun), and the kernel reports idle. The model, not the DOM: what the DOM holds depends on
  // rendering.
  await expectWithin(
    page.waitForFunction(
      (path) => {
        const cells = window.codeCellsOf(path);
        const panel = [...window.jupyterapp.shell.widgets('main')].find((w) => w.context?.path === path);
        return cells.length > 0 && cells.every((c) => Number.isInteger(c.count)) &&
          panel?.sessionContext.session?.kernel?.status === 'idle';
      },
      opts.notebook, { timeout: RUN_MS, polling: 250 }),
    describeCells,
  );
  console.log(`  ${await describeCells()}`);
  step('checking that only cells tagged raises-exception have an error output');
  // The DOM renders an error like stderr, so this asks JupyterLab's notebook model (the server
  // runs with expose_app_in_browser). JupyterLab runs on past a tagged cell, as nbclient does.
  const cellErrors = await page.evaluate((notebookPath) => {
    const app = window.jupyterapp;
    if (!app) return { problem: 'window.jupyterapp is missing: start the server with --LabApp.expose_app_in_browser=True' };
    const panel = [...app.shell.widgets('main')].find((w) => w.context?.path === notebookPath);
    if (!panel) return { problem: `no notebook panel for ${notebookPath}` };
    const unexpected = [];
    const missing = [];
    let code = 0;
    for (const cell of panel.content.model.cells) {
      if (cell.type !== 'code') continue;
      const tagged = (cell.getMetadata('tags') || []).includes('raises-exception');
      let error = null;
      for (let i = 0; i < cell.outputs.length; i++) {
        const out = cell.outputs.get(i).toJSON();
        if (out.output_type === 'error') error = `${out.ename}: ${out.evalue}`;
      }
      const where = `code cell ${code} (${cell.sharedModel.getSource().split('\n')[0]})`;
      if (error && !tagged) unexpected.push(`${where}: ${error}`);
      if (!error && tagged) missing.push(where);
      code++;
    }
    return { unexpected, missing };
  }, opts.notebook);
  if (cellErrors.problem) throw new StepFailure(cellErrors.problem);
  if (cellErrors.unexpected.length || cellErrors.missing.length) {
    throw new StepFailure(
      (cellErrors.unexpected.length ? `unexpected errors:\n  ${cellErrors.unexpected.join('\n  ')}\n` : '') +
      (cellErrors.missing.length ? `cells tagged raises-exception that did not raise:\n  ${cellErrors.missing.join('\n  ')}\n` : '') +
      await describeCells());
  }

  if (opts['run-only']) {
    step(`screenshot ${RUN_SHOT}`);
    await page.screenshot({ path: RUN_SHOT, fullPage: true });
  } else {
    step('looking for the offers table: an HTML <table> with an "offer" header in an output area');
    const offersTable = notebook
      .locator('.jp-OutputArea-output[data-mime-type="text/html"] table')
      .filter({ has: page.locator('thead th', { hasText: /^\s*offer\s*$/ }) });
    await expectWithin(offersTable.first().waitFor({ state: 'attached', timeout: UI_MS }), async () => {
      const html = await notebook.locator('.jp-OutputArea-output[data-mime-type="text/html"] thead').allInnerTexts();
      return `HTML table headers in outputs: ${JSON.stringify(html)}\n${await describeCells()}`;
    });
    const table = offersTable.first();
    await table.scrollIntoViewIfNeeded({ timeout: UI_MS });
    await expectWithin(table.waitFor({ state: 'visible', timeout: UI_MS }), describeCells);
    const headers = (await table.locator('thead th').allInnerTexts()).map((h) => h.trim());
    const rows = await table.locator('tbody tr').count();
    console.log(`  offers table: headers ${JSON.stringify(headers)}, ${rows} row(s)`);
    if (rows < 1) throw new StepFailure(`the offers table has no rows (headers ${JSON.stringify(headers)})`);
    const firstRow = (await table.locator('tbody tr').first().locator('td').allInnerTexts()).map((c) => c.trim());
    if (!firstRow[headers.indexOf('offer')]) {
      throw new StepFailure(`the offers table's first row has no offer id: ${JSON.stringify(firstRow)}`);
    }
    // The table's own output area, as the person reading the notebook sees it.
    await table.locator('xpath=ancestor::*[contains(@class, "jp-OutputArea-output")][1]').screenshot({ path: OFFERS_SHOT });

    step('Tab completion: a new code cell at the end, "%sub" then Tab');
    await codeCells.last().locator('.jp-InputArea-prompt').click();
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    const newCell = codeCells.last();
    await expectWithin(
      page.waitForFunction(
        ([path, n]) => window.codeCellsOf(path).length === n &&
          document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell').length === n,
        [opts.notebook, cellCount + 1], { timeout: UI_MS }),
      async () => `code cells: ${await codeCells.count()} in the page, ` +
        `${(await codeCellsInModel()).length} in the model (expected ${cellCount + 1})`,
    );
    await newCell.locator('.cm-content').click();
    await page.keyboard.type('%sub');
    await page.keyboard.press('Tab');
    // The completer lists the kernel's matches for the magic name.
    const completer = page.locator('.jp-Completer');
    const completerItems = completer.locator('.jp-Completer-item');
    const editorText = () => newCell.locator('.cm-content').innerText();
    await expectWithin(
      completerItems.filter({ hasText: /^\s*%subscribe\b/ }).first().waitFor({ state: 'visible', timeout: UI_MS }),
      async () => `completer items: ${JSON.stringify(await completerItems.allInnerTexts())}; cell text: ${JSON.stringify(await editorText())}`,
    );
    const offered = (await completerItems.allInnerTexts()).map((t) => t.trim().split(/\s+/)[0]);
    console.log(`  completer offers: ${JSON.stringify(offered)}`);

    step(`screenshot ${SHOT}`);
    await page.screenshot({ path: SHOT });

    step('accepting the completion with Enter');
    await page.keyboard.press('Enter');
    await expectWithin(
      page.waitForFunction(
        () => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')].at(-1)
          ?.querySelector('.cm-content')?.textContent.trim() === '%subscribe',
        null, { timeout: UI_MS }),
      async () => `cell text: ${JSON.stringify(await editorText())}`,
    );

    step('pictures: a new cell that launches a task, then %timeline and %agents');
    await page.keyboard.press('Escape');
    await page.keyboard.press('b');
    await expectWithin(
      page.waitForFunction(
        ([path, n]) => window.codeCellsOf(path).length === n,
        [opts.notebook, cellCount + 2], { timeout: UI_MS }),
      async () => `code cells in the model: ${(await codeCellsInModel()).length} (expected ${cellCount + 2})`,
    );
    // By index: Shift+Enter adds an empty cell after it, which `.last()` would then mean.
    const picturesCell = codeCells.nth(cellCount + 1);
    await picturesCell.locator('.cm-content').click();
    await page.keyboard.type('%subscribe --name pictures\n%launch --name shot --wait TASK_FINISHED -- true\n%timeline\n%agents');
    await page.keyboard.press('Shift+Enter');
    await expectWithin(
      page.waitForFunction(
        ([path, n]) => {
          const cells = window.codeCellsOf(path);
          const panel = [...window.jupyterapp.shell.widgets('main')].find((w) => w.context?.path === path);
          return cells.length >= n && Number.isInteger(cells[n - 1].count) &&
            panel?.sessionContext.session?.kernel?.status === 'idle';
        },
        [opts.notebook, cellCount + 2], { timeout: RUN_MS, polling: 250 }),
      describeCells,
    );
    // The pictures are inline SVG in the HTML output: JupyterLab must render them, not strip them.
    const svgs = picturesCell.locator('.jp-OutputArea-output[data-mime-type="text/html"] svg[role="img"]');
    const titles = await svgs.evaluateAll((all) => all.map((s) => s.querySelector('title')?.textContent));
    console.log(`  pictures rendered: ${JSON.stringify(titles)}`);
    for (const [what, pattern, shot] of [
      ['%timeline', /tasks? of this framework: states over time/, TIMELINE_SHOT],
      ['%agents', /agents?: resources/, AGENTS_SHOT],
    ]) {
      const i = titles.findIndex((t) => pattern.test(t || ''));
      if (i < 0) throw new StepFailure(`no ${what} picture among the rendered SVGs: ${JSON.stringify(titles)}\n${await describeCells()}`);
      const svg = svgs.nth(i);
      await svg.scrollIntoViewIfNeeded({ timeout: UI_MS });
      const box = await svg.boundingBox();
      if (!box || box.width < 100 || box.height < 40) throw new StepFailure(`the ${what} picture is not drawn: box ${JSON.stringify(box)}`);
      await svg.locator('xpath=ancestor::*[contains(@class, "jp-OutputArea-output")][1]').screenshot({ path: shot });
      console.log(`  ${what}: ${Math.round(box.width)}×${Math.round(box.height)} px, screenshot ${shot}`);
    }

  }
});
