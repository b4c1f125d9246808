// Command Builder web UI: progressive enhancement of the server-rendered
// pages. The server owns the form (evaluation, validation, the command) and
// renders all markup; this script only sends changes, swaps the server's HTML
// in place (keeping focus and caret), switches pages inside the document and
// drives the search picker. Without it, the form still posts and works.
'use strict';

// One JSON request to the server, for every script of the page (app.js runs
// first): resolves to the answer's JSON; rejects with an Error carrying the
// server's message and, as `answer`, the whole error answer (its fields say
// what to offer, e.g. a run that needs confirming).
window.cmdbRequest = async function (method, url, body) {
  const response = await fetch(url, {
    method,
    credentials: 'same-origin',
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const answer = await response.json().catch(() => ({ error: response.statusText }));
  if (!response.ok) {
    const error = new Error(answer.error || ('HTTP ' + response.status));
    error.answer = answer;
    throw error;
  }
  return answer;
};

(function () {
  const main = document.getElementById('main');
  if (!main) return;
  document.documentElement.classList.add('js');

  const request = window.cmdbRequest;

  const state = {
    page: main.dataset.page,
    pending: {},        // key -> value not yet sent
    pendingCommand: null,
    pendingSuffix: null, // the "append architecture + encoder" checkbox
    inFlight: null,     // the last request queued: requests go out one at a time, in order
    queued: null,       // a send waiting for the request in flight (coalesces typing)
    sequence: 0,        // answers older than the newest request are ignored
    textTimer: 0,
    navigation: 0,
    html: null,         // the server HTML the page shown was last brought in line with
  };
  // Each page visited in this tab has its own box in <main> (div.view); the
  // boxes of pages left are kept, hidden with content-visibility (their
  // style and layout stay computed) and without their ids (ids stay unique
  // in the document: scripts and labels find only the page shown). A warm
  // switch shows the box again at once and refreshes it from the server.
  // visited: page -> {view, title, html} for the pages not shown.
  const visited = new Map();

  // A new, empty box for @page, appended to <main>.
  function newView(page) {
    const box = document.createElement('div');
    box.className = 'view';
    box.dataset.view = page;
    main.append(box);
    return box;
  }

  let view = main.querySelector(':scope > .view');
  if (!view) {
    const nodes = Array.from(main.childNodes);
    view = newView(state.page);
    view.append(...nodes);
  }
  view.dataset.view = state.page;

  // ---- morphing: apply new server HTML without losing focus or caret ----

  function isClientOwned(node) {
    return node.nodeType === 1 && node.hasAttribute('data-client-owned');
  }

  function sameKind(a, b) {
    return a.nodeType === b.nodeType && a.nodeName === b.nodeName &&
      (a.nodeType !== 1 || (a.id || '') === (b.id || ''));
  }

  function syncAttributes(from, to) {
    const focused = from === document.activeElement;
    for (const attribute of Array.from(from.attributes)) {
      if (to.hasAttribute(attribute.name)) continue;
      // Client-owned attributes: disclosure state and the picker's popup.
      if (attribute.name === 'open' && from.nodeName === 'DETAILS') continue;
      if (from.classList.contains('picker-list') && attribute.name === 'hidden') continue;
      if (attribute.name === 'aria-expanded' || attribute.name === 'aria-activedescendant') continue;
      from.removeAttribute(attribute.name);
    }
    for (const attribute of Array.from(to.attributes)) {
      if (focused && attribute.name === 'value') continue;
      if (from.getAttribute(attribute.name) !== attribute.value)
        from.setAttribute(attribute.name, attribute.value);
    }
    if (from.nodeName === 'INPUT') {
      if (from.type === 'checkbox') from.checked = to.hasAttribute('checked');
      else if (!focused && from.value !== (to.getAttribute('value') || ''))
        from.value = to.getAttribute('value') || '';
    }
  }

  function morph(from, to) {
    if (!sameKind(from, to)) {
      from.replaceWith(to.cloneNode(true));
      return;
    }
    if (from.nodeType === 3 || from.nodeType === 8) {
      if (from.data !== to.data) from.data = to.data;
      return;
    }
    if (from.nodeType !== 1 || isClientOwned(from)) return;
    syncAttributes(from, to);
    if (from.nodeName === 'TEXTAREA') {
      if (from !== document.activeElement && from.value !== to.value) from.value = to.value;
      return;
    }
    if (from.classList.contains('picker-list')) return;
    morphChildren(from, to);
    if (from.nodeName === 'SELECT' && from !== document.activeElement) {
      Array.from(from.options).forEach((option, i) => {
        option.selected = to.options[i] ? to.options[i].hasAttribute('selected') : false;
      });
    }
  }

  function morphChildren(from, to) {
    let cursor = from.firstChild;
    for (const next of Array.from(to.childNodes)) {
      let match = null;
      if (next.nodeType === 1 && next.id) {
        const existing = document.getElementById(next.id);
        if (existing && existing.parentNode === from) match = existing;
      } else if (cursor && sameKind(cursor, next)) {
        match = cursor;
      }
      if (match) {
        if (match !== cursor) from.insertBefore(match, cursor);
        morph(match, next);
        cursor = match.nextSibling;
      } else {
        from.insertBefore(next.cloneNode(true), cursor);
      }
    }
    while (cursor) {
      const after = cursor.nextSibling;
      from.removeChild(cursor);
      cursor = after;
    }
  }

  function applyHtml(html) {
    const template = document.createElement('template');
    template.innerHTML = html;
    const replacement = document.createElement('div');
    replacement.appendChild(template.content);
    morphChildren(view, replacement);
    state.html = html;
    enhance();
  }

  // Tells listeners (tests, the browser benchmark, the runs UI) that the
  // server's HTML is in the DOM: 'cmdb:page-swapped' after a page switch,
  // 'cmdb:updated' after a change was applied, 'cmdb:page-settled' once a
  // page (loaded or switched to) is on screen and the browser is idle, for
  // work the user does not wait for. detail.page names the page.
  function announce(name, page) {
    document.dispatchEvent(new CustomEvent(name, { detail: { page } }));
  }

  function setStatus(text) {
    const status = document.getElementById('status');
    if (status) status.textContent = text;
  }

  // ?view=html: the page's HTML and title only, not its data as well.
  function pageUrl(page) {
    return '/api/pages/' + encodeURIComponent(page) + '?view=html';
  }

  // One request at a time, in the order asked: the changes of a page being
  // left reach the server before the next page is fetched.
  function queueRequest(method, url, body) {
    const previous = state.inFlight;
    const sent = previous
      ? previous.catch(() => {}).then(() => request(method, url, body))
      : request(method, url, body);
    state.inFlight = sent;
    sent.catch(() => {}).then(() => {
      if (state.inFlight === sent) state.inFlight = null;
    });
    return sent;
  }

  // Takes the pending changes (and an action) as one request body, or null.
  function collect(action, extra) {
    const body = {};
    if (Object.keys(state.pending).length) body.changes = state.pending;
    if (state.pendingCommand !== null) body.command = state.pendingCommand;
    if (state.pendingSuffix !== null) body.suffix = state.pendingSuffix;
    if (action) body.action = action;
    Object.assign(body, extra || {});
    state.pending = {};
    state.pendingCommand = null;
    state.pendingSuffix = null;
    return Object.keys(body).length ? body : null;
  }

  // Posts @body to @page; the answer is applied only if it is the newest and
  // its page is still shown, so fast typing never shows a stale form.
  async function post(page, body) {
    const sequence = ++state.sequence;
    try {
      const answer = await queueRequest('POST', pageUrl(page), body);
      if (sequence === state.sequence && page === state.page) {
        applyHtml(answer.html);
        announce('cmdb:updated', page);
      }
    } catch (error) {
      if (page === state.page) setStatus('Not saved: ' + error.message);
    }
  }

  // Sends the pending changes (and an action). Changes made while a request
  // is out go together in one request after it: each keystroke is sent at
  // once when the server is idle, and typing never queues a backlog.
  function send(action, extra) {
    if (!action && !extra && state.inFlight) {
      if (!state.queued)
        state.queued = state.inFlight.catch(() => {}).then(() => {
          state.queued = null;
          const body = collect();
          return body ? post(state.page, body) : undefined;
        });
      return state.queued;
    }
    const body = collect(action, extra);
    return body ? post(state.page, body) : Promise.resolve();
  }

  function fieldValue(element) {
    if (element.type === 'checkbox') return element.checked;
    if (element.multiple) return Array.from(element.selectedOptions).map((o) => o.value);
    return element.value;
  }

  function queueChange(element) {
    state.pending[element.name] = fieldValue(element);
    clearTimeout(state.textTimer);
    send();
  }

  // ---- events (delegated, so swapped markup needs no rebinding) ----

  main.addEventListener('input', (event) => {
    const target = event.target;
    if (target.classList.contains('mirror')) {
      const box = document.getElementById(target.dataset.for);
      if (box) {
        box.value = target.value;
        queueChange(box);
      }
      return;
    }
    if (target.id === 'command') {
      state.pendingCommand = target.value;
      clearTimeout(state.textTimer);
      state.textTimer = setTimeout(() => send(), 400);
      return;
    }
    if (target.closest('.picker')) {
      searchPicker(target);
      return;
    }
    // getAttribute: a field named "id" would shadow a form's id property.
    if (!target.name || !target.form || target.form.getAttribute('id') !== 'page-form') return;
    if (target.name === '_suffix') {
      state.pendingSuffix = target.checked;
      clearTimeout(state.textTimer);
      send();
      return;
    }
    queueChange(target);
  });

  main.addEventListener('submit', (event) => {
    event.preventDefault();
    const form = event.target;
    const button = event.submitter;
    if (form.classList.contains('card')) {
      send('apply', { use_case: button ? button.value : '' }).then(() => setStatus('Suggested setup applied.'));
      return;
    }
    const action = button && button.name === '_action' ? button.value : 'generate';
    if (action === 'generate') state.pendingCommand = null;
    send(action);
  });

  main.addEventListener('click', async (event) => {
    const target = event.target.closest('button, a');
    if (!target) return;
    if (target.id === 'copy') {
      const text = document.getElementById('command').value;
      try {
        await navigator.clipboard.writeText(text);
      } catch (error) {
        const area = document.getElementById('command');
        area.select();
        document.execCommand('copy');
      }
      setStatus('Copied!');
      setTimeout(() => setStatus(''), 2000);
    } else if (target.id === 'download' && (state.inFlight || state.pendingCommand !== null ||
                                             state.pendingSuffix !== null ||
                                             Object.keys(state.pending).length)) {
      // Save what was typed first, so the file holds what is on screen.
      event.preventDefault();
      clearTimeout(state.textTimer);
      await send();
      while (state.inFlight) await state.inFlight.catch(() => {});
      target.click();
    }
  });

  document.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      const generate = document.getElementById('generate');
      if (generate) {
        event.preventDefault();
        clearTimeout(state.textTimer);
        state.pendingCommand = null;
        send('generate');
      }
    }
  });

  // ---- page switches inside the document ----

  // Sends what is pending for the page shown and keeps its box for a later
  // switch back (values, open sections and the run panel stay as they are).
  function leavePage() {
    clearTimeout(state.textTimer);
    const body = collect();
    if (body) post(state.page, body);
    // Focus must not stay in a box that is no longer rendered (the browser
    // would keep computing its style); enterPage() puts it on <main> anyway.
    if (view.contains(document.activeElement)) main.focus({ preventScroll: true });
    // Attributes, not dataset: a form's dataset can be shadowed by a field
    // named "dataset" (forms expose their fields by name).
    for (const element of view.querySelectorAll('[id]')) {
      element.setAttribute('data-away-id', element.id);
      element.removeAttribute('id');
    }
    view.classList.add('away');
    visited.set(state.page, { view, title: document.title, html: state.html });
  }

  // Shown first, ids second: an id given back to a form field inside a box
  // still hidden would make the browser compute style in there.
  function showView(box) {
    box.classList.remove('away');
    for (const element of box.querySelectorAll('[data-away-id]')) {
      element.setAttribute('id', element.getAttribute('data-away-id'));
      element.removeAttribute('data-away-id');
    }
    view = box;
  }

  // Fetches @page again and merges it into what is shown (a warm switch
  // showed the page as it was left; the server may know better). With
  // @settled (a promise), the answer waits for it before touching the DOM;
  // the request itself goes at once, so the server knows the page is shown.
  async function refresh(page, settled) {
    const sequence = ++state.sequence;
    try {
      const answer = await queueRequest('GET', pageUrl(page));
      if (settled) await settled;
      if (sequence === state.sequence && page === state.page) {
        // Usually nothing changed while the page was away: then the DOM is
        // left alone (no parse, no morph, no style work for the browser).
        if (answer.html !== state.html) applyHtml(answer.html);
        announce('cmdb:updated', page);
      }
    } catch (error) {
      // What is shown stays; the next change asks the server again.
    }
  }

  async function showPage(page, push) {
    const navigation = ++state.navigation;
    const kept = visited.get(page);
    if (kept) {
      // Warm: the page comes back within this event, the refresh follows.
      pushAddress(page, push);
      leavePage();
      visited.delete(page);
      showView(kept.view);
      state.html = kept.html;
      enterPage(page, kept.title);
      refresh(page, new Promise((resolve) => whenShownAndIdle(resolve)));
      return;
    }
    clearTimeout(state.textTimer);
    const body = collect();
    if (body) post(state.page, body);
    let answer;
    try {
      answer = await queueRequest('GET', pageUrl(page));
    } catch (error) {
      window.location.href = '/' + page;   // the full-page way still works
      return;
    }
    if (navigation !== state.navigation) return;
    const late = Object.keys(state.pending).length > 0;
    pushAddress(page, push);
    leavePage();
    view = newView(page);
    view.innerHTML = answer.html;
    state.html = answer.html;
    enterPage(page, answer.title + ' \u00b7 Command Builder');
    // Changes typed while the page was fetched were sent after the fetch,
    // so the server heard of the page shown before them: remind it.
    if (late) refresh(page);
  }

  // Runs @work once the page shown now is on screen (two frames) and the
  // browser has nothing else to do, at the latest 300 ms later. For work the
  // user does not wait for (applying a refresh, the runs panel's requests),
  // so that neither it nor its answers delay those frames.
  function whenShownAndIdle(work) {
    requestAnimationFrame(() => requestAnimationFrame(() => {
      if (window.requestIdleCallback) requestIdleCallback(work, { timeout: 300 });
      else setTimeout(work, 0);
    }));
  }

  // pushState makes the browser save the document's state, which needs
  // style and layout at once: called right after a swap it forced them early
  // (delaying the frame that shows the page) and computed style inside the
  // box just hidden, 20-30 ms on the 2-core machine (docs/performance.md).
  // Called before the swap, while the document is as last rendered, it costs
  // under 1 ms, and the address changes with the page.
  function pushAddress(page, push) {
    if (push) history.pushState({ page }, '', '/' + page);
  }

  function enterPage(page, title) {
    state.page = page;
    main.dataset.page = page;
    document.title = title;
    document.querySelectorAll('.sidebar a[data-page]').forEach((link) => {
      if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    });
    enhance();
    // Focus needs the new page's style and layout: asked for here it would
    // compute them at once, before the frame that computes them anyway.
    requestAnimationFrame(() => main.focus({ preventScroll: true }));
    announce('cmdb:page-swapped', page);
    whenShownAndIdle(() => announce('cmdb:page-settled', page));
  }

  document.querySelector('.sidebar').addEventListener('click', (event) => {
    const link = event.target.closest('a[data-page]');
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    if (link.dataset.page !== state.page) showPage(link.dataset.page, true);
  });

  window.addEventListener('popstate', (event) => {
    const page = (event.state && event.state.page) || location.pathname.slice(1);
    if (page && page !== state.page) showPage(page, false);
  });
  history.replaceState({ page: state.page }, '', location.pathname);

  // ---- the search picker for long option lists ----

  const pickerTimers = new WeakMap();

  function pickerParts(input) {
    const picker = input.closest('.picker');
    return { picker, list: picker.querySelector('.picker-list') };
  }

  function closePicker(input) {
    const { list } = pickerParts(input);
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  function searchPicker(input) {
    clearTimeout(pickerTimers.get(input));
    pickerTimers.set(input, setTimeout(async () => {
      const { picker, list } = pickerParts(input);
      const url = '/api/options/' + encodeURIComponent(picker.dataset.source) +
        '?limit=20&q=' + encodeURIComponent(input.value);
      let answer;
      try {
        answer = await request('GET', url);
      } catch (error) {
        return;
      }
      list.textContent = '';
      answer.entries.forEach((entry, i) => {
        const item = document.createElement('li');
        item.id = list.id + '-' + i;
        item.setAttribute('role', 'option');
        item.dataset.value = entry.name;
        const local = entry.modified ? localTime(entry.modified) : null;
        item.textContent = (entry.label || entry.name) + (local ? ' \u00b7 ' + local : '');
        item.title = entry.name;
        list.appendChild(item);
      });
      if (answer.total > answer.entries.length) {
        const more = document.createElement('li');
        more.className = 'more';
        more.textContent = (answer.total - answer.entries.length) + ' more: keep typing';
        list.appendChild(more);
      }
      list.hidden = answer.entries.length === 0;
      input.setAttribute('aria-expanded', String(!list.hidden));
    }, 150));
  }

  function choose(input, value) {
    input.value = value;
    closePicker(input);
    queueChange(input, true);
  }

  main.addEventListener('keydown', (event) => {
    const input = event.target;
    if (!input.closest || !input.closest('.picker') || input.nodeName !== 'INPUT') return;
    const { list } = pickerParts(input);
    const options = Array.from(list.querySelectorAll('[role=option]'));
    const current = options.findIndex((o) => o.id === input.getAttribute('aria-activedescendant'));
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (list.hidden) { searchPicker(input); return; }
      const next = options[(current + (event.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length];
      options.forEach((o) => o.setAttribute('aria-selected', String(o === next)));
      if (next) input.setAttribute('aria-activedescendant', next.id);
    } else if (event.key === 'Enter' && !event.ctrlKey && !event.metaKey && current >= 0) {
      event.preventDefault();
      choose(input, options[current].dataset.value);
    } else if (event.key === 'Escape') {
      closePicker(input);
    }
  });

  main.addEventListener('mousedown', (event) => {
    const item = event.target.closest('.picker-list [role=option]');
    if (!item) return;
    event.preventDefault();   // keep focus in the input
    choose(item.closest('.picker').querySelector('input'), item.dataset.value);
  });

  main.addEventListener('focusout', (event) => {
    if (event.target.closest && event.target.closest('.picker') && event.target.nodeName === 'INPUT')
      setTimeout(() => closePicker(event.target), 100);
  });

  // ---- times: the server writes them in UTC (ISO 8601), the reader's clock
  // is local. Shared with runs.js (window.cmdbShowLocalTimes). ----

  const localTimeFormat = {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  };

  // @iso (ISO 8601 with its offset) in the browser's time zone and locale,
  // or null when it is not a time.
  function localTime(iso) {
    const when = new Date(iso);
    return Number.isNaN(when.getTime()) ? null : when.toLocaleString(undefined, localTimeFormat);
  }

  // Shows each time.local-time[datetime] under @root in local time; the
  // server's text (UTC) stays in the tooltip.
  function showLocalTimes(root) {
    root.querySelectorAll('time.local-time[datetime]:not([data-local])').forEach((time) => {
      const shown = localTime(time.dateTime);
      if (shown === null) return;
      time.title = time.textContent;
      time.textContent = shown;
      time.dataset.local = '';
    });
  }
  window.cmdbLocalTime = localTime;
  window.cmdbShowLocalTimes = showLocalTimes;

  // ---- after every swap ----

  function enhance() {
    showLocalTimes(view);
    // Nothing to bind (events are delegated); keep slider mirrors in step.
    view.querySelectorAll('input.mirror').forEach((range) => {
      const box = document.getElementById(range.dataset.for);
      if (box && box !== document.activeElement && box.value !== '') range.value = box.value;
    });
    // A choice's time (a checkpoint's): the server writes its label with
    // the time in UTC, and data-label and data-time to show it locally.
    view.querySelectorAll('option[data-time]').forEach((option) => {
      const local = localTime(option.dataset.time);
      if (local) option.textContent = option.dataset.label + ' \u00b7 ' + local;
    });
  }
  enhance();
  whenShownAndIdle(() => announce('cmdb:page-settled', state.page));
})();
