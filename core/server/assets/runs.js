// Command Builder web UI: the execution panel. The server renders the
// panel's markup, the runs table and the diffs (escaped there); this script
// starts and stops runs, and shows their output live from ONE event stream
// per tab (/api/events), which multiplexes the runs it watches and resumes
// from per-stream byte offsets after a reconnect. Output lines are hostile
// text: they only ever go into the page through textContent.
'use strict';

(function () {
  const main = document.getElementById('main');
  if (!main || !window.EventSource) return;

  const MAX_LINES = 2000;       // lines kept on screen (the logs keep everything)
  const LINE_CLASSES = new Set(['plain', 'metrics', 'error', 'warning', 'success', 'progress']);

  const tab = {
    panel: null,
    page: null,
    run: null,          // the run the panel shows
    record: null,       // its record as last received
    offsets: {},        // run id -> {stdout, stderr}: where a reconnect resumes
    source: null,       // the one EventSource of this tab
    sourceKey: '',
    timer: 0,
    exportState: {},
    networkPending: false, // set by setup(), cleared once its requests went out
  };

  // ---- talking to the server ----

  const request = window.cmdbRequest; // app.js

  function $(id) {
    return document.getElementById(id);
  }

  function message(text) {
    const box = $('run-message');
    if (box) box.textContent = text || '';
  }

  // ---- the event stream ----

  function listFilter() {
    const pageFilter = $('run-filter-page');
    const statusFilter = $('run-filter-status');
    return {
      list: pageFilter && pageFilter.value === '*' ? '*' : tab.page,
      status: statusFilter ? statusFilter.value : '',
    };
  }

  function streamUrl() {
    const params = new URLSearchParams();
    if (tab.run) {
      const at = tab.offsets[tab.run] || { stdout: 0, stderr: 0 };
      params.set('runs', tab.run + ':' + at.stdout + ':' + at.stderr);
    }
    const filter = listFilter();
    if (filter.list) params.set('list', filter.list);
    if (filter.status) params.set('status', filter.status);
    return '/api/events?' + params.toString();
  }

  // (Re)opens the tab's stream when what it watches changed. The browser's
  // own reconnects send Last-Event-ID, which carries every offset.
  function connect(force) {
    if (!tab.panel) return;
    const key = streamUrl();
    if (!force && tab.source && key === tab.sourceKey) return;
    if (tab.source) tab.source.close();
    tab.sourceKey = key;
    tab.source = new EventSource(key);
    tab.source.addEventListener('output', onOutput);
    tab.source.addEventListener('status', (event) => onRecord(JSON.parse(event.data)));
    tab.source.addEventListener('end', (event) => onRecord(JSON.parse(event.data), true));
    tab.source.addEventListener('runs', (event) => onRuns(JSON.parse(event.data)));
    tab.source.addEventListener('gone', (event) => {
      const data = JSON.parse(event.data);
      if (data.run === tab.run) message(data.error);
    });
  }

  function lineElement(line, stream) {
    const element = document.createElement('div');
    const lineClass = LINE_CLASSES.has(line.class) ? line.class : 'plain';
    element.className = 'line line-' + lineClass + (stream === 'stderr' ? ' stderr' : '');
    element.textContent = line.text;
    return element;
  }

  function onOutput(event) {
    const data = JSON.parse(event.data);
    if (data.run !== tab.run) return;
    const output = $('run-output');
    if (!output) return;
    const at = tab.offsets[data.run] || (tab.offsets[data.run] = { stdout: 0, stderr: 0 });
    at[data.stream] = data.offset;
    // The partial line of each stream (a progress bar as it is now) stays
    // last; complete lines go before it.
    const partialId = 'run-partial-' + data.stream;
    let partial = $(partialId);
    const stick = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
    for (const line of data.lines) output.insertBefore(lineElement(line, data.stream), partial);
    if (data.partial) {
      const element = lineElement(data.partial, data.stream);
      element.id = partialId;
      element.classList.add('partial');
      if (partial) partial.replaceWith(element);
      else output.appendChild(element);
    } else if (partial) {
      partial.remove();
    }
    while (output.childElementCount > MAX_LINES) output.firstElementChild.remove();
    if (stick) output.scrollTop = output.scrollHeight;
  }

  const GOING = new Set(['starting', 'running', 'stopping']);

  function showRecord(record) {
    const status = record ? record.status : null;
    const statusBox = $('run-status');
    if (statusBox) {
      statusBox.textContent = status || 'No run yet';
      statusBox.dataset.status = status || 'none';
    }
    const exit = $('run-exit');
    if (exit) {
      exit.textContent = record && record.exit_code !== undefined && record.exit_code !== null
        ? 'exit ' + record.exit_code + (record.signal ? ' (signal ' + record.signal + ')' : '')
        : '';
    }
    const id = $('run-id');
    if (id) id.textContent = record ? record.id : '';
    showStarted(record);
    const start = $('run-start');
    const stop = $('run-stop');
    // data-invalid: the command has errors (the server says so).
    if (start) start.disabled = GOING.has(status) || start.dataset.invalid === 'true';
    if (stop) stop.disabled = status !== 'running' && status !== 'starting';
    const logs = $('run-logs');
    if (logs && record) {
      logs.hidden = false;
      $('run-stdout').href = '/api/runs/' + encodeURIComponent(record.id) + '/log?stream=stdout';
      $('run-stderr').href = '/api/runs/' + encodeURIComponent(record.id) + '/log?stream=stderr';
    }
    if (tab.panel) {
      tab.panel.dataset.status = status || '';
      tab.panel.dataset.run = record ? record.id : '';
    }
    tickElapsed();
  }

  function onRecord(record, ended) {
    if (record.id !== tab.run) return;
    tab.record = record;
    showRecord(record);
    if (ended && record.status === 'succeeded' && tab.page && tab.exportState.available)
      loadExport({});   // a predict run made a new submission: preselect it
  }

  // The server writes UTC; the reader's clock is local (app.js).
  function showLocalTimes(root) {
    if (window.cmdbShowLocalTimes) window.cmdbShowLocalTimes(root);
  }

  // "started <local time>" in the panel's head, from the record's UTC time.
  function showStarted(record) {
    const started = $('run-started');
    if (!started) return;
    const at = (record && record.started_at) || '';
    if (started.dateTime === at) return;
    const shown = at && window.cmdbLocalTime ? window.cmdbLocalTime(at) : null;
    started.dateTime = at;
    started.title = at ? at.slice(0, 19).replace('T', ' ') + ' UTC' : '';
    started.textContent = shown ? 'started ' + shown : '';
  }

  function onRuns(data) {
    const list = $('run-list');
    if (!list) return;
    const checked = new Set(Array.from(list.querySelectorAll('.run-compare:checked')).map((b) => b.value));
    list.innerHTML = data.html;    // rendered and escaped by the server
    showLocalTimes(list);
    list.querySelectorAll('.run-compare').forEach((box) => { box.checked = checked.has(box.value); });
    updateCompare();
    // A run of this page started elsewhere (the CLI, another tab) while the
    // panel shows nothing going: follow it live.
    const newest = data.runs.find((run) => run.page === tab.page);
    const idle = !tab.record || !GOING.has(tab.record.status);
    if (newest && idle && newest.id !== tab.run && GOING.has(newest.status)) follow(newest.id, newest);
  }

  function formatElapsed(ms) {
    const seconds = Math.max(0, Math.round(ms / 1000));
    const minutes = Math.floor(seconds / 60);
    return minutes > 0 ? minutes + 'm ' + (seconds % 60) + 's' : seconds + 's';
  }

  function tickElapsed() {
    const box = $('run-elapsed');
    const record = tab.record;
    if (!box) return;
    if (!record || !record.started_at) {
      box.textContent = '';
      return;
    }
    const end = record.ended_at ? Date.parse(record.ended_at) : Date.now();
    box.textContent = formatElapsed(end - Date.parse(record.started_at));
  }

  // ---- showing a run ----

  function follow(run, record) {
    tab.run = run;
    tab.record = record || null;
    tab.offsets[run] = { stdout: 0, stderr: 0 };
    const output = $('run-output');
    if (output) output.textContent = '';
    message('');
    showRecord(record || { id: run, status: 'starting' });
    connect(true);
  }

  async function startRun(body) {
    message('');
    try {
      const record = await request('POST', '/api/runs', body);
      follow(record.id, record);
      if (record.status === 'failed' && record.message) message(record.message);
      return record;
    } catch (error) {
      // A command Hydra would not compose (docs/compose-check.md) runs only
      // when the user says so.
      if (error.answer && error.answer.compose_failed && !body.force
          && window.confirm(error.message.replace(/; send .*$/, '')
                            + '\n\nRun it anyway?')) {
        return startRun(Object.assign({}, body, { force: true }));
      }
      message('Cannot run: ' + error.message);
      return null;
    }
  }

  // ---- executors: the selector and the option form are rendered (and
  // escaped) by the server; shown only when there is a choice ----

  async function loadExecutors() {
    const box = $('run-executor');
    // A page switched back to keeps its DOM, and the user's choices.
    if (!box || !box.hidden) return;
    try {
      const answer = await request('GET', '/api/executors');
      if (!answer.html || !box.isConnected) return;
      box.innerHTML = answer.html;
      box.hidden = false;
      showExecutorForm();
    } catch (error) {
      message('Cannot list the executors: ' + error.message);
    }
  }

  async function showExecutorForm() {
    const select = $('run-executor-select');
    const form = $('run-executor-form');
    if (!select || !form) return;
    form.textContent = '';
    if (select.value === 'local') return;
    try {
      const url = '/api/executors/' + encodeURIComponent(select.value) + '/form';
      form.innerHTML = (await request('GET', url)).html;
    } catch (error) {
      message('Cannot show the executor options: ' + error.message);
    }
  }

  // Asks the server what is wrong with the executor options typed, shows
  // each problem next to its field (as text) and says whether all are fine.
  // A check that cannot be made (network) lets the start decide.
  async function checkExecutorOptions() {
    const choice = executorRequest();
    if (!choice.executor || choice.executor === 'local') return true;
    let answer;
    try {
      answer = await request('POST', '/api/executors/' + encodeURIComponent(choice.executor) + '/check',
                             { options: choice.executor_options });
    } catch (error) {
      return true;
    }
    if (executorRequest().executor !== choice.executor) return true;   // changed meanwhile
    for (const slot of document.querySelectorAll('#run-executor-form [data-problem-for]')) {
      const problem = answer.problems[slot.dataset.problemFor];
      slot.textContent = problem || '';
      slot.hidden = !problem;
      const input = slot.parentNode.querySelector('[data-option]');
      if (input) input.setAttribute('aria-invalid', problem ? 'true' : 'false');
    }
    return answer.valid;
  }

  // {executor, executor_options} for POST /api/runs; {} without a choice.
  function executorRequest() {
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

  function commandText() {
    const area = document.getElementById('command');
    return area ? area.value.replace(/\r\n/g, '\n').trim() : null;
  }

  // ---- comparing two runs ----

  // Oldest first (the table lists the newest first): the diff reads as
  // "what changed since".
  function selectedRuns() {
    return Array.from(document.querySelectorAll('#run-list .run-compare:checked')).map((b) => b.value)
      .reverse();
  }

  function updateCompare() {
    const button = $('run-diff-button');
    if (button) button.disabled = selectedRuns().length !== 2;
  }

  // ---- the page's actions (Predict: the submission export) ----

  async function pageAction(action, params) {
    return request('POST', '/api/pages/' + encodeURIComponent(tab.page) + '/actions/' +
                   encodeURIComponent(action), params || {});
  }

  async function loadExport(params) {
    const section = $('page-actions');
    if (!section) return;
    try {
      const answer = await pageAction('list-submissions', params);
      section.innerHTML = answer.html;   // rendered and escaped by the server
      section.hidden = false;
    } catch (error) {
      section.textContent = error.message;
      section.hidden = false;
    }
  }

  // The JSON to convert: typed, picked (the select fills the path) or uploaded.
  function exportJsonPath() {
    const typed = $('export-json-path');
    return typed ? typed.value.trim() : '';
  }

  // An uploaded JSON goes to the server as the request body (streamed, its
  // own size limit), then becomes the path to convert.
  async function upload(input) {
    const file = input.files && input.files[0];
    if (!file) return;
    const section = $('page-actions');
    try {
      const response = await fetch('/api/uploads?name=' + encodeURIComponent(file.name), {
        method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' }, body: file,
      });
      const answer = await response.json().catch(() => ({ error: response.statusText }));
      if (!response.ok) throw new Error(answer.error || ('HTTP ' + response.status));
      await loadExport({ json_path: answer.path });
    } catch (error) {
      const note = document.createElement('p');
      note.className = 'export-message error';
      note.setAttribute('role', 'alert');
      note.textContent = 'Upload failed: ' + error.message;
      const box = $('export');
      (box || section).appendChild(note);
    }
  }

  async function convert(force) {
    const section = $('page-actions');
    const params = {
      experiment: $('export-experiment') ? $('export-experiment').value : null,
      json_path: exportJsonPath() || null,
      output: $('export-output') ? $('export-output').value : '',
      include_confidence: $('export-confidence') ? $('export-confidence').checked : false,
      force: !!force,
    };
    const button = $('export-convert');
    if (button) {
      button.disabled = true;
      button.textContent = 'Converting JSON to CSV\u2026';
    }
    try {
      const answer = await pageAction('export-csv', params);
      section.innerHTML = answer.html;
    } catch (error) {
      section.textContent = error.message;
    }
  }

  async function setupActions() {
    tab.exportState = {};
    let answer;
    try {
      answer = await request('GET', '/api/pages/' + encodeURIComponent(tab.page) + '/actions');
    } catch (error) {
      return;
    }
    if (answer.actions.includes('list-submissions')) {
      tab.exportState.available = true;
      loadExport({});
    }
  }

  // ---- events (delegated) ----

  main.addEventListener('click', async (event) => {
    const target = event.target.closest('button');
    if (!target || !tab.panel || !tab.panel.contains(target)) return;
    if (target.id === 'run-start') {
      event.preventDefault();
      target.disabled = true;
      const command = commandText();
      // An edited text the form does not give: say what differs first.
      const differs = document.getElementById('command-differences');
      if (differs && document.getElementById('form-not-in-effect')) {
        const lines = Array.from(differs.querySelectorAll('li')).map((li) => '- ' + li.textContent);
        if (!window.confirm('Run executes the edited text, not the form:\n' + lines.join('\n') +
                            '\n\nRun it?')) {
          target.disabled = false;
          return;
        }
      }
      const choice = executorRequest();
      // Wrong executor options are shown next to their fields, and no run
      // is created for them.
      if (choice.executor && choice.executor !== 'local' && !(await checkExecutorOptions())) {
        target.disabled = false;
        message('Fix the marked ' + ($('run-executor-select').selectedOptions[0]?.textContent || '') +
                ' options first.');
        return;
      }
      const body = Object.assign({ page: tab.page }, command ? { command } : {}, choice);
      // Refused (or not run anyway): Run stays usable.
      if (!(await startRun(body))) target.disabled = false;
    } else if (target.id === 'run-stop' || target.classList.contains('run-stop-one')) {
      const run = target.dataset.run || tab.run;
      if (!run) return;
      target.disabled = true;
      try {
        const record = await request('POST', '/api/runs/' + encodeURIComponent(run) + '/stop');
        if (run === tab.run) onRecord(record);
      } catch (error) {
        message('Cannot stop: ' + error.message);
      }
    } else if (target.classList.contains('run-delete')) {
      // Record and logs go for good: ask first. The list follows from the
      // event stream; the row goes at once.
      const run = target.dataset.run;
      if (!window.confirm('Delete the run ' + run + ' (its record and logs)?')) return;
      target.disabled = true;
      try {
        await request('DELETE', '/api/runs/' + encodeURIComponent(run));
        const row = target.closest('tr');
        if (row) row.remove();
        message('Deleted ' + run + '.');
      } catch (error) {
        target.disabled = false;
        message('Cannot delete: ' + error.message);
      }
    } else if (target.classList.contains('run-show')) {
      follow(target.dataset.run, null);
    } else if (target.classList.contains('run-rerun')) {
      const mode = target.dataset.mode;
      // A rerun starts a job: say which command first.
      const what = mode === 'values'
        ? 'Put this run\'s form values back and run the command they give now?\n\nIt ran:\n'
        : 'Run exactly this command again?\n\n';
      if (!window.confirm(what + (target.dataset.command || target.dataset.run))) return;
      const record = await startRun({ rerun: target.dataset.run, mode });
      // The form went back to the run's values: show them (the panel
      // follows the new run again after the reload: it is the last run).
      if (record && mode === 'values') window.location.reload();
    } else if (target.id === 'run-diff-button') {
      const [a, b] = selectedRuns();
      try {
        const answer = await request('GET', '/api/runs/diff?a=' + encodeURIComponent(a) +
                                     '&b=' + encodeURIComponent(b));
        $('run-diff').innerHTML = answer.html;   // rendered and escaped by the server
      } catch (error) {
        message(error.message);
      }
    } else if (target.id === 'export-convert') {
      convert(false);
    } else if (target.id === 'export-overwrite') {
      convert(true);
    }
  });

  // Executor options are checked as they are typed (after a short pause).
  let optionsTimer = 0;
  main.addEventListener('input', (event) => {
    if (event.target.id === 'export-json-path') {
      const convertButton = $('export-convert');
      if (convertButton) convertButton.disabled = !exportJsonPath();
      return;
    }
    if (!event.target.closest || !event.target.closest('#run-executor-form')) return;
    clearTimeout(optionsTimer);
    optionsTimer = setTimeout(checkExecutorOptions, 300);
  });

  main.addEventListener('change', (event) => {
    const target = event.target;
    if (!tab.panel || !tab.panel.contains(target)) return;
    if (target.id === 'run-filter-page' || target.id === 'run-filter-status') connect(false);
    else if (target.classList.contains('run-compare')) updateCompare();
    else if (target.id === 'run-executor-select') showExecutorForm();
    else if (target.id === 'export-experiment') loadExport({ experiment: target.value });
    else if (target.id === 'export-json') {
      const typed = $('export-json-path');
      if (typed) typed.value = target.value;
      const convertButton = $('export-convert');
      if (convertButton) convertButton.disabled = !exportJsonPath();
    } else if (target.id === 'export-upload') upload(target);
  }, true);

  // ---- set up on load and after every page switch ----

  function setup() {
    const panel = document.getElementById('execution-panel');
    tab.panel = panel;
    if (!panel) return;
    tab.page = panel.dataset.page;
    tab.run = null;
    tab.record = null;
    if (panel.dataset.run) {
      const output = $('run-output');
      tab.run = panel.dataset.run;
      // A page switched back to keeps its DOM: resume where its lines end.
      if (!tab.offsets[tab.run] || !output || output.childElementCount === 0) {
        tab.offsets[tab.run] = { stdout: 0, stderr: 0 };
        if (output) output.textContent = '';
      }
      tab.record = {
        id: tab.run,
        status: panel.dataset.status,
        started_at: panel.dataset.startedAt || null,
        ended_at: panel.dataset.endedAt || null,
      };
    }
    showStarted(tab.record);
    tickElapsed();
    tab.networkPending = true;
  }

  // The network part waits until app.js says the page is on screen and the
  // browser is idle, so that neither its requests nor their answers delay
  // the frames that show a switched page.
  function setupNetwork(event) {
    if (!tab.panel || !tab.networkPending || event.detail.page !== tab.page) return;
    tab.networkPending = false;
    connect(true);
    setupActions();
    loadExecutors();
  }

  // The execution panel is the client's (the morph leaves it alone): Run
  // follows the command's verdict, which the badge carries.
  function followVerdict() {
    const start = $('run-start');
    const badge = $('command-badge');
    if (!start || !badge) return;
    const invalid = badge.dataset.invalid === 'true';
    start.dataset.invalid = invalid ? 'true' : 'false';
    const note = $('run-invalid');
    if (note) note.hidden = !invalid;
    const status = $('run-status');
    start.disabled = invalid || GOING.has(status ? status.dataset.status : '');
  }

  document.addEventListener('cmdb:page-swapped', setup);
  document.addEventListener('cmdb:page-settled', setupNetwork);
  document.addEventListener('cmdb:updated', followVerdict);
  clearInterval(tab.timer);
  tab.timer = setInterval(tickElapsed, 1000);
  setup();
})();
