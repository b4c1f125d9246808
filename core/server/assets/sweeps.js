// Command Builder web UI: sweeps (docs/web-ui.md, "Sweeps"; the API is
// docs/api.md, "Sweeps").
//
// On a page, the execution panel's "Sweep" section lets any field take
// several values (a list; for numbers also a range with a step; for a
// choice, several of its options): the server's preview gives the number of
// runs and every member's command before anything starts, then the sweep is
// launched with the executor chosen in the panel and a concurrency.
//
// On a sweep's comparison page (/sweeps/<id>, rendered whole by the server,
// sorted by the header links), this script enables stop, rerun of the
// failed members and delete, follows the links in place and refreshes the
// table while members run. Values, commands and errors are hostile text:
// textContent only.
'use strict';

(function () {
  if (!window.fetch) return;

  const request = window.cmdbRequest; // app.js

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function labelled(text, input) {
    const label = element('label', '', text + ' ');
    label.appendChild(input);
    return label;
  }

  function plural(n, word) {
    return n + ' ' + word + (n === 1 ? '' : 's');
  }

  // ---- the editor on a page ----

  // The page's fields as the form shows them: {key, label, kind, options}.
  // kind: choice (a select: several of its options), number (a list or a
  // range), boolean (true and/or false) or text (a list).
  function formFields() {
    const fields = [];
    for (const box of document.querySelectorAll('#page-form .field[data-key]')) {
      if (box.classList.contains('field-info')) continue;
      const label = box.querySelector('label');
      const select = box.querySelector('select');
      const field = { key: box.dataset.key, label: label ? label.textContent : box.dataset.key };
      if (select && !select.multiple) {
        field.kind = 'choice';
        field.options = Array.from(select.options).map((o) => ({ value: o.value, label: o.textContent }));
        field.current = select.value;
      } else if (box.classList.contains('field-checkbox')) {
        field.kind = 'boolean';
      } else if (box.classList.contains('field-slider') || box.classList.contains('field-number_input')) {
        field.kind = 'number';
        field.current = box.querySelector('input[type=number]')?.value || '';
      } else {
        field.kind = 'text';
        field.current = box.querySelector('input[type=text]')?.value || '';
      }
      fields.push(field);
    }
    return fields;
  }

  function $(id) {
    return document.getElementById(id);
  }

  let previewTimer = 0;
  let previewSequence = 0;

  // Fills the field chooser with the fields not swept yet.
  function fillChooser() {
    const chooser = $('sweep-add-key');
    if (!chooser) return;
    const swept = new Set(Array.from(document.querySelectorAll('#sweep-fields .sweep-field'))
      .map((f) => f.dataset.key));
    const chosen = chooser.value;
    chooser.textContent = '';
    for (const field of formFields()) {
      if (swept.has(field.key)) continue;
      const option = element('option', '', field.label + ' (' + field.key + ')');
      option.value = field.key;
      chooser.appendChild(option);
    }
    if (chosen && Array.from(chooser.options).some((o) => o.value === chosen)) chooser.value = chosen;
    $('sweep-add').disabled = chooser.options.length === 0;
  }

  // The editor of one swept field, its values as the form shows them.
  function fieldEditor(field) {
    const box = element('fieldset', 'sweep-field');
    box.dataset.key = field.key;
    box.dataset.kind = field.kind;
    const legend = element('legend', '', field.label + ' ');
    legend.appendChild(element('code', '', field.key));
    box.appendChild(legend);
    if (field.kind === 'choice' || field.kind === 'boolean') {
      const options = field.kind === 'boolean'
        ? [{ value: 'true', label: 'true' }, { value: 'false', label: 'false' }]
        : field.options;
      const list = element('div', 'sweep-options');
      for (const option of options) {
        const box = element('input', 'sweep-option');
        box.type = 'checkbox';
        box.value = option.value;
        box.checked = field.kind === 'boolean' || option.value === field.current;
        list.appendChild(labelled(option.label, box));
      }
      box.appendChild(list);
    } else {
      // Not radios: the editor sits inside the page's form, whose script
      // sends every named input as a change of the form.
      const modes = element('div', 'sweep-modes');
      if (field.kind === 'number') {
        const mode = element('select', 'sweep-mode');
        mode.setAttribute('aria-label', field.key + ': values as');
        for (const [value, text] of [['list', 'a list'], ['range', 'a range with a step']]) {
          const option = element('option', '', text);
          option.value = value;
          mode.appendChild(option);
        }
        modes.appendChild(labelled('Values as', mode));
      }
      box.appendChild(modes);
      const list = element('input', 'sweep-list');
      list.type = 'text';
      list.value = field.current;
      list.placeholder = field.kind === 'number' ? '0.001, 0.0003, 0.0001' : 'a, b, c';
      list.setAttribute('aria-label', field.key + ': values, separated by commas');
      box.appendChild(labelled('Values (comma-separated)', list));
      if (field.kind === 'number') {
        const range = element('div', 'sweep-range');
        range.hidden = true;
        for (const [name, text] of [['start', 'From'], ['stop', 'to (excluded)'], ['step', 'step']]) {
          const input = element('input', 'sweep-' + name);
          input.type = 'number';
          input.step = 'any';
          input.value = name === 'start' ? field.current : name === 'step' ? '1' : '';
          range.appendChild(labelled(text, input));
        }
        box.appendChild(range);
      }
    }
    const remove = element('button', 'sweep-remove secondary', 'Back to one value');
    remove.type = 'button';
    remove.title = 'Back to the form\'s single value';
    box.appendChild(remove);
    return box;
  }

  // The sweep fields of the editor for the API: [{key, values}]; values a
  // list of texts as typed, or "range(start,stop,step)". null when a field
  // has no value yet (with the reason).
  function sweepRequest() {
    const axes = [];
    for (const box of document.querySelectorAll('#sweep-fields .sweep-field')) {
      const key = box.dataset.key;
      let values;
      if (box.querySelector('.sweep-options')) {
        values = Array.from(box.querySelectorAll('.sweep-option:checked')).map((o) => o.value);
      } else if (box.querySelector('.sweep-mode')?.value === 'range') {
        const part = (name) => box.querySelector('.sweep-' + name).value.trim();
        if (!part('start') || !part('stop'))
          return { error: key + ': give the range\'s start and stop' };
        values = 'range(' + part('start') + ',' + part('stop') + ',' + (part('step') || '1') + ')';
      } else {
        values = box.querySelector('.sweep-list').value.split(',').map((v) => v.trim())
          .filter((v) => v !== '');
      }
      if (Array.isArray(values) && values.length === 0) return { error: key + ': give at least one value' };
      axes.push({ key, values });
    }
    return { axes };
  }

  function showError(text) {
    const box = $('sweep-error');
    if (!box) return;
    box.textContent = text || '';
    box.hidden = !text;
  }

  // Each member's values in the order of the sweep's fields.
  function memberValues(sweep, member) {
    return (sweep.keys || Object.keys(member.values)).map((k) => k + '=' + member.values[k]).join(' ');
  }

  function showPreview(sweep) {
    const count = $('sweep-count');
    const list = $('sweep-commands');
    count.textContent = plural(sweep.count, 'run') +
      (sweep.failed ? ' (' + sweep.failed + ' would not run)' : '');
    count.dataset.count = String(sweep.count);
    list.textContent = '';
    for (const member of sweep.commands) {
      const item = element('li', member.ok ? 'sweep-member' : 'sweep-member failed');
      item.appendChild(element('span', 'sweep-values', memberValues(sweep, member)));
      item.appendChild(element('code', 'sweep-command', member.command || ''));
      for (const problem of member.errors || []) item.appendChild(element('span', 'error', problem));
      list.appendChild(item);
    }
  }

  // Asks the server for every member's command (nothing is started). The
  // members are built from the page's stored form, so this follows each
  // change of the form too.
  async function preview() {
    clearTimeout(previewTimer);
    const panel = $('sweep-panel');
    const launch = $('sweep-launch');
    if (!panel || !launch) return;
    const { axes, error } = sweepRequest();
    const sequence = ++previewSequence;
    launch.disabled = true;
    panel.dataset.previewed = 'false';
    if (!axes || axes.length === 0) {
      $('sweep-count').textContent = error ? '' : 'Give a field several values to see the runs.';
      delete $('sweep-count').dataset.count;
      $('sweep-commands').textContent = '';
      showError(error);
      panel.dataset.previewed = 'true';
      return;
    }
    try {
      const answer = await request('POST', '/api/sweeps/preview', { page: panel.dataset.page, sweep: axes });
      if (sequence !== previewSequence) return;
      showError('');
      showPreview(answer.sweep);
      launch.disabled = answer.sweep.failed > 0;
    } catch (failure) {
      if (sequence !== previewSequence) return;
      // The limit (422) and values the server cannot read (400), as it says.
      $('sweep-count').textContent = '';
      delete $('sweep-count').dataset.count;
      $('sweep-commands').textContent = '';
      showError('No sweep: ' + failure.message);
    }
    panel.dataset.previewed = 'true';
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 250);
  }

  // {executor, executor_options} as the run panel's choice says (runs.js
  // renders it from the server's HTML); {} without a choice.
  function executorChoice() {
    const select = $('run-executor-select');
    if (!select) return {};
    const options = {};
    for (const input of document.querySelectorAll('#run-executor-form [data-option]')) {
      const value = input.value.trim();
      if (value === '') continue;
      options[input.dataset.option] = 'list' in input.dataset
        ? value.split(/\r?\n/).filter((line) => line.trim() !== '') : value;
    }
    return { executor: select.value, executor_options: options };
  }

  async function launch(button) {
    const panel = $('sweep-panel');
    const { axes, error } = sweepRequest();
    if (!axes) {
      showError(error);
      return;
    }
    button.disabled = true;
    const parallel = Number($('sweep-parallel').value) || 1;
    try {
      const sweep = await request('POST', '/api/sweeps',
        Object.assign({ page: panel.dataset.page, sweep: axes, parallel }, executorChoice()));
      window.location.assign('/sweeps/' + encodeURIComponent(sweep.id));
    } catch (failure) {
      if (failure.answer && failure.answer.sweep) showPreview(failure.answer.sweep);
      showError('Not launched: ' + failure.message);
      button.disabled = false;
    }
  }

  async function listSweeps() {
    const panel = $('sweep-panel');
    const list = $('sweep-list');
    if (!panel || !list) return;
    let sweeps;
    try {
      sweeps = await request('GET', '/api/sweeps?page=' + encodeURIComponent(panel.dataset.page));
    } catch (failure) {
      list.textContent = failure.message;
      return;
    }
    list.textContent = '';
    for (const sweep of sweeps) {
      const item = element('li', 'sweep-item');
      const link = element('a', '', sweep.id);
      link.href = '/sweeps/' + encodeURIComponent(sweep.id);
      item.appendChild(link);
      const status = element('span', 'run-status', sweep.status);
      status.dataset.status = sweep.status;
      item.append(' ', status, ' ' + plural(sweep.count, 'run') + ' (' + sweep.keys.join(', ') + ')');
      list.appendChild(item);
    }
    if (sweeps.length === 0) list.appendChild(element('li', 'note', 'No sweeps yet.'));
  }

  function setupEditor() {
    const panel = $('sweep-panel');
    if (!panel) return;
    $('sweep-editor').hidden = false;
    // A closed panel needs nothing yet (opening it fills the chooser): a
    // page switch does not read every field of the form for it.
    if (!panel.open) return;
    fillChooser();
    listSweeps();
  }

  document.addEventListener('click', (event) => {
    const target = event.target.closest('button');
    if (!target || !target.closest('#sweep-panel')) return;
    if (target.id === 'sweep-add') {
      const key = $('sweep-add-key').value;
      const field = formFields().find((f) => f.key === key);
      if (!field) return;
      $('sweep-fields').appendChild(fieldEditor(field));
      fillChooser();
      preview();
    } else if (target.classList.contains('sweep-remove')) {
      target.closest('.sweep-field').remove();
      fillChooser();
      preview();
    } else if (target.id === 'sweep-launch') {
      launch(target);
    }
  });

  document.addEventListener('input', (event) => {
    const box = event.target.closest && event.target.closest('.sweep-field');
    if (!box) return;
    if (event.target.classList.contains('sweep-mode')) {
      const range = event.target.value === 'range';
      box.querySelector('.sweep-range').hidden = !range;
      box.querySelector('.sweep-list').closest('label').hidden = range;
    }
    schedulePreview();
  });

  // Enter in a value box would submit the page's form: it previews instead.
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || !event.target.closest || !event.target.closest('.sweep-field, #sweep-parallel'))
      return;
    event.preventDefault();
    preview();
  });

  document.addEventListener('toggle', (event) => {
    if (event.target.id === 'sweep-panel' && event.target.open) {
      fillChooser();
      listSweeps();
      // The form may have changed while the panel was closed.
      if (document.querySelector('#sweep-fields .sweep-field')) schedulePreview();
    }
  }, true);

  document.addEventListener('cmdb:page-swapped', setupEditor);
  // The form changed (the members are built from it): the commands follow.
  document.addEventListener('cmdb:updated', () => {
    const panel = $('sweep-panel');
    if (!panel || !panel.open) return;
    fillChooser();
    if (document.querySelector('#sweep-fields .sweep-field')) schedulePreview();
  });

  // ---- a sweep's comparison page ----

  let refreshTimer = 0;

  function enableButtons() {
    for (const id of ['sweep-stop', 'sweep-rerun', 'sweep-delete']) {
      const button = $(id);
      if (button) button.disabled = false;
    }
  }

  function comparisonMessage(text) {
    const box = $('sweep-message');
    if (box) box.textContent = text || '';
  }

  // Brings the page (as @address renders it) in place; refreshes again in
  // a moment while members are queued or running.
  async function showComparison(address) {
    clearTimeout(refreshTimer);
    const view = $('sweep-view');
    if (!view) return;   // another page is shown
    const url = new URL(address, window.location.href);
    url.searchParams.set('view', 'fragment');
    let html;
    try {
      const response = await fetch(url, { credentials: 'same-origin' });
      if (!response.ok) throw new Error('HTTP ' + response.status);
      html = await response.text();
    } catch (failure) {
      comparisonMessage('Could not refresh: ' + failure.message);
      refreshTimer = setTimeout(() => showComparison(address), 3000);
      return;
    }
    const current = $('sweep-view');
    if (!current) return;
    // The server rendered and escaped it.
    current.closest('.sweep-page').outerHTML = html;
    setupComparison();
  }

  // The address of the page as shown (its order), from what the server
  // rendered: the address bar may have lost its query.
  function comparisonAddress(view) {
    return '/sweeps/' + encodeURIComponent(view.dataset.sweep) + '?sort=' +
      encodeURIComponent(view.dataset.sort || 'index') + '&order=' + (view.dataset.order || 'asc');
  }

  function setupComparison() {
    const view = $('sweep-view');
    if (!view) return;
    const address = comparisonAddress(view);
    if (window.location.pathname.startsWith('/sweeps/'))
      history.replaceState(history.state, '', address);
    enableButtons();
    document.dispatchEvent(new CustomEvent('cmdb:sweep-shown', { detail: { sweep: view.dataset.sweep } }));
    if (view.dataset.final !== 'true')
      refreshTimer = setTimeout(() => showComparison(address), 1000);
  }

  async function sweepAction(button) {
    const view = $('sweep-view');
    const sweep = view.dataset.sweep;
    const base = '/api/sweeps/' + encodeURIComponent(sweep);
    comparisonMessage('');
    if (button.id === 'sweep-stop') {
      button.disabled = true;
      try {
        await request('POST', base + '/stop');
      } catch (failure) {
        comparisonMessage('Cannot stop: ' + failure.message);
      }
      showComparison(comparisonAddress(view));
    } else if (button.id === 'sweep-rerun') {
      if (!window.confirm('Start a new sweep of the members that failed, were lost or stopped?')) return;
      try {
        const rerun = await request('POST', base + '/rerun-failed', {});
        window.location.assign('/sweeps/' + encodeURIComponent(rerun.id));
      } catch (failure) {
        comparisonMessage('Cannot rerun: ' + failure.message);
      }
    } else if (button.id === 'sweep-delete') {
      if (!window.confirm('Delete the sweep ' + sweep + ' and every member\'s run (records and logs)?')) return;
      try {
        await request('DELETE', base);
        const page = view.closest('.view')?.querySelector('.page-head a')?.getAttribute('href') || '/';
        window.location.assign(page);
      } catch (failure) {
        comparisonMessage('Cannot delete: ' + failure.message);
      }
    }
  }

  document.addEventListener('click', (event) => {
    const target = event.target.closest('a.sweep-sort, #sweep-stop, #sweep-rerun, #sweep-delete');
    if (!target || !$('sweep-view') || !$('sweep-view').contains(target)) return;
    if (target.nodeName === 'A') {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      showComparison(target.href);
      return;
    }
    sweepAction(target);
  });

  // The page's scripts may run before the document is parsed to its end.
  function setup() {
    setupEditor();
    setupComparison();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setup);
  else setup();
})();
