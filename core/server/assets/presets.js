// Command Builder web UI: a page's presets (docs/sweeps.md, "Presets").
// The server renders an empty section beside the suggested setups; this
// script lists the presets (GET /api/pages/<id>/presets), shows what each
// would change in the current form, applies one through the page's own
// change request, deletes one, and saves the current form as a new one.
// Names, descriptions and values are hostile text: textContent only.
// The section is client-owned (app.js's morph leaves it alone): it is
// listed again after each change of the form (the diffs follow) and after
// a switch to another page.
'use strict';

(function () {
  if (!window.fetch) return;
  let section = null;
  let page = '';
  let base = '';

  const request = window.cmdbRequest; // app.js

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function show(value) {
    if (value === null || value === undefined) return '(none)';
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  function say(text, isError) {
    const status = section.querySelector('.presets-status');
    status.textContent = text;
    status.classList.toggle('error', !!isError);
  }

  function card(preset) {
    const node = element('div', 'card preset');
    node.dataset.preset = preset.name;
    node.appendChild(element('h4', '', preset.name));
    node.appendChild(element('p', 'preset-kind', preset.private ? 'private' : 'shared'));
    if (preset.description) node.appendChild(element('p', '', preset.description));
    const diff = element('ul', 'preset-diff');
    for (const change of preset.diff) {
      diff.appendChild(element('li', '',
        change.key + ': ' + show(change.current) + ' \u2192 ' + show(change.preset)));
    }
    if (preset.diff.length === 0) diff.appendChild(element('li', 'same', 'same as the form'));
    node.appendChild(diff);
    if (preset.skipped.length > 0) {
      node.appendChild(element('p', 'preset-skipped',
        'skipped (no longer on this page): ' + preset.skipped.join(', ')));
    }
    const apply = element('button', 'preset-apply', 'Apply');
    apply.type = 'button';
    apply.addEventListener('click', async () => {
      try {
        await request('POST', '/api/pages/' + encodeURIComponent(page),
          { changes: preset.applicable });
        window.location.reload();
      } catch (error) {
        say('Could not apply ' + preset.name + ': ' + error.message, true);
      }
    });
    const remove = element('button', 'preset-delete secondary', 'Delete');
    remove.type = 'button';
    remove.addEventListener('click', async () => {
      if (!window.confirm('Delete the preset ' + preset.name + '?')) return;
      try {
        await request('DELETE', base + '/' + encodeURIComponent(preset.name));
        say('Deleted ' + preset.name + '.');
        await load();
      } catch (error) {
        say('Could not delete ' + preset.name + ': ' + error.message, true);
      }
    });
    const buttons = element('div', 'preset-buttons');
    buttons.append(apply, remove);
    node.appendChild(buttons);
    return node;
  }

  async function load() {
    const cards = section.querySelector('.cards');
    delete section.dataset.loaded;
    try {
      const answer = await request('GET', base);
      cards.replaceChildren(...answer.presets.map(card));
      if (answer.presets.length === 0) cards.appendChild(element('p', 'note', 'No presets yet.'));
      for (const problem of answer.problems) say(problem, true);
    } catch (error) {
      say('Presets could not be listed: ' + error.message, true);
    }
    section.dataset.loaded = 'true'; // for tests and scripts: the list is current
  }

  async function onSave(event) {
    // Ours alone: app.js would otherwise take it for the page form's submit.
    event.preventDefault();
    event.stopPropagation();
    const save = event.currentTarget;
    const form = new FormData(save);
    try {
      await request('POST', base, {
        name: form.get('name'),
        description: form.get('description') || '',
        private: form.get('private') === 'on',
      });
      say('Saved ' + form.get('name') + '.');
      save.reset();
      await load();
    } catch (error) {
      say('Could not save: ' + error.message, true);
    }
  }

  function setup(event) {
    section = document.getElementById('presets');
    if (!section) return;
    // After a page switch the section (kept by the morph) names the new page.
    page = (event && event.detail && event.detail.page) || section.dataset.page;
    section.dataset.page = page;
    base = '/api/pages/' + encodeURIComponent(page) + '/presets';
    const save = section.querySelector('.preset-save');
    if (!save.dataset.bound) {
      save.dataset.bound = 'true';
      save.addEventListener('submit', onSave);
    }
    load();
  }

  document.addEventListener('cmdb:page-swapped', setup);
  document.addEventListener('cmdb:updated', () => { if (section) load(); });
  setup();
})();
