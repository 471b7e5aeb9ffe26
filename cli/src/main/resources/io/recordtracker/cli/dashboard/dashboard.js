// record-tracker dashboard: plain JavaScript, no build step, no network beyond this server.
'use strict';

(function () {
  const REFRESH_MS = 5000;
  const nf = new Intl.NumberFormat('en-US');

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children) {
      if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function utc(iso) {
    return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace('Z', '') : '-';
  }

  function num(n) {
    return nf.format(n);
  }

  function attributesText(attrs) {
    return Object.entries(attrs || {}).map(([k, v]) => k + '=' + v).join(' ');
  }

  function lastMarked(batch) {
    let last = null;
    for (const at of Object.values(batch.lastMarkedAt || {})) {
      if (!last || at > last) last = at;
    }
    return last;
  }

  async function getJson(url) {
    const r = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await r.json().catch(() => ({ error: r.statusText }));
    if (!r.ok) throw new Error(body.error || ('HTTP ' + r.status));
    return body;
  }

  function showError(message) {
    const p = document.getElementById('error');
    p.hidden = !message;
    p.textContent = message ? 'Could not refresh: ' + message : '';
  }

  /** Runs load now and every few seconds while the auto-refresh box is ticked. */
  function every(load) {
    const box = document.getElementById('auto-refresh');
    let timer = null;
    let loaded = false;
    const tick = async () => {
      // A hidden tab (another tab in front, a locked phone) does not ask the database.
      if (!loaded || !document.hidden) {
        try {
          await load();
          loaded = true;
          showError(null);
        } catch (e) {
          showError(e.message);
        }
      }
      timer = box.checked ? setTimeout(tick, REFRESH_MS) : null;
    };
    box.addEventListener('change', () => {
      if (box.checked && timer === null) tick();
      if (!box.checked && timer !== null) { clearTimeout(timer); timer = null; }
    });
    tick();
  }

  // ---------------------------------------------------------------------------------------------
  // The gate banner

  async function loadGate() {
    const gate = document.getElementById('gate');
    const g = await getJson('/api/gate');
    const window = g.window.replace(/^PT/, '').toLowerCase();
    gate.replaceChildren();
    if (g.quiet) {
      gate.className = 'gate quiet';
      gate.dataset.quiet = 'true';
      gate.append('Quiet: no incomplete batch was marked in the last ' + window + '. Maintenance may start.');
    } else {
      const n = g.inFlight.length;
      gate.className = 'gate busy';
      gate.dataset.quiet = 'false';
      gate.append((n === 1 ? '1 batch is' : n + ' batches are') + ' in flight (marked in the last ' + window + '): do not start maintenance. ');
      g.inFlight.slice(0, 3).forEach((b, i) => {
        gate.append(i ? ', ' : '', el('a', { href: '/batch?id=' + encodeURIComponent(b.id) }, b.id));
      });
      if (n > 3) gate.append(' and ' + (n - 3) + ' more');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The batches page

  function progress(view) {
    const expected = view.batch.expectedRecords;
    const box = el('div', { class: 'progress' });
    for (const s of view.stages) {
      const pct = expected === 0 ? 100 : Math.min(100, (100 * s.records) / expected);
      const bar = el('span');
      bar.style.width = pct.toFixed(2) + '%';
      box.append(
        el('span', { text: s.stage }),
        el('div', {
          class: 'bar' + (s.records < expected ? ' short' : ''),
          role: 'img',
          'aria-label': s.stage + ': ' + num(s.records) + ' of ' + num(expected) + ' records'
        }, bar),
        el('span', { class: 'num', text: num(s.records) + ' / ' + num(expected) }));
    }
    return box;
  }

  function batchRow(view) {
    const b = view.batch;
    const missing = view.hops.reduce((sum, h) => sum + h.missing, 0);
    const link = el('a', { href: '/batch?id=' + encodeURIComponent(b.id), 'data-key': 'batch:' + b.id }, b.id);
    return el('tr', { 'data-batch': b.id },
      el('td', {}, link, el('div', { class: 'attrs', text: attributesText(b.attributes) })),
      el('td', { 'data-label': 'State' }, el('span', { class: 'state state-' + view.state.replace(' ', '-'), text: view.state })),
      el('td', { 'data-label': 'Progress' }, progress(view)),
      el('td', { class: 'num missing-count', 'data-label': 'Missing', text: num(missing) }),
      el('td', { class: 'num', 'data-label': 'Expected', text: num(b.expectedRecords) }),
      el('td', { class: 'time', 'data-label': 'Opened (UTC)', text: utc(b.openedAt) }),
      el('td', { class: 'time', 'data-label': 'Last marked (UTC)', text: utc(lastMarked(b)) }));
  }

  /** Replaces children, then gives focus back to the element that had it (same data-key). */
  function keepingFocus(container, render) {
    const focused = document.activeElement && document.activeElement.dataset
      ? document.activeElement.dataset.key : null;
    render();
    if (focused) {
      const again = container.querySelector('[data-key="' + CSS.escape(focused) + '"]');
      if (again) again.focus({ preventScroll: true });
    }
  }

  function batchesPage() {
    const params = new URLSearchParams(location.search);
    const form = document.getElementById('filters');
    form.incomplete.checked = params.get('incomplete') === 'true';
    form.attribute.value = params.get('attribute') || '';
    form.since.value = params.get('since') || '';
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const q = new URLSearchParams();
      if (form.incomplete.checked) q.set('incomplete', 'true');
      if (form.attribute.value.trim()) q.set('attribute', form.attribute.value.trim());
      if (form.since.value.trim()) q.set('since', form.since.value.trim());
      location.search = q.toString();
    });
    const api = new URLSearchParams(params);
    const filtersOnly = new URLSearchParams(params);
    filtersOnly.delete('after');
    document.getElementById('first-page').href = '/?' + filtersOnly.toString();
    const tbody = document.querySelector('#batches tbody');
    every(async () => {
      const [page] = await Promise.all([getJson('/api/batches?' + api.toString()), loadGate()]);
      keepingFocus(tbody, () => {
        tbody.replaceChildren(...page.batches.map(batchRow));
        if (page.batches.length === 0) {
          tbody.append(el('tr', {}, el('td', { colspan: 7, text: 'No batches match.' })));
        }
      });
      document.getElementById('page-info').textContent =
        page.count + (page.count === 1 ? ' batch' : ' batches') + ' on this page' +
        (page.incompleteOnly ? ' (incomplete only)' : ', incomplete first');
      const next = document.getElementById('next-page');
      next.hidden = !page.next;
      if (page.next) {
        const q = new URLSearchParams(filtersOnly);
        q.set('after', page.next);
        next.href = '/?' + q.toString();
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // A batch's page

  function kindOf(bucket) {
    if (bucket.missing.count > 0) return 'missing';
    if (bucket.absentUpstream.count > 0) return 'absent';
    return 'unexpected';
  }

  function rangesText(part) {
    const shown = part.ranges.map(([a, b]) => (a === b ? String(a) : a + '-' + b)).join(', ');
    const more = part.rangeCount - part.ranges.length;
    return shown + (more > 0 ? ' (+' + num(more) + ' more ranges)' : '');
  }

  function describeBucket(bucket) {
    const box = el('div');
    box.append(el('strong', { text: 'Records ' + num(bucket.first) + '-' + num(bucket.last) + ': ' }));
    const parts = [
      ['missing', bucket.missing], ['never sent', bucket.absentUpstream], ['unexpected', bucket.unexpected]
    ].filter(([, p]) => p.count > 0);
    parts.forEach(([name, p], i) => {
      box.append((i ? '; ' : '') + num(p.count) + ' ' + name + ' (' + rangesText(p) + ')');
    });
    return box;
  }

  function batchPage() {
    const id = new URLSearchParams(location.search).get('id');
    if (!id) {
      showError('no batch id in the address (/batch?id=ID)');
      return;
    }
    const base = '/api/batches/' + encodeURIComponent(id);
    document.getElementById('title').textContent = 'Batch ' + id;
    document.title = 'Batch ' + id + ' · record-tracker';
    document.getElementById('report-link').href = base + '/report.json';
    document.getElementById('plan-link').href = base + '/resend-plan.json';
    const strip = document.getElementById('strip');
    const detail = document.getElementById('bucket-detail');
    let buckets = [];
    let selected = null; // the first record of the selected bucket: survives a refresh

    function select(bucket, announce) {
      strip.querySelectorAll('.bucket.selected').forEach((b) => b.classList.remove('selected'));
      if (!bucket) return;
      selected = bucket.first;
      const div = strip.querySelector('[data-first="' + bucket.first + '"]');
      if (div) div.classList.add('selected');
      if (announce) detail.replaceChildren(describeBucket(bucket));
    }

    // A bucket may be narrower than a pixel: hover picks by position, not by element, the bucket
    // holding the record under the pointer, or the nearest one within 4 pixels.
    let space = 0;
    strip.addEventListener('mousemove', (e) => {
      if (!buckets.length || space === 0) return;
      const rect = strip.getBoundingClientRect();
      const perPixel = space / rect.width;
      const record = (e.clientX - rect.left) * perPixel;
      let best = null;
      let bestDistance = 4 * perPixel;
      for (const b of buckets) {
        const d = record < b.first ? b.first - record : record > b.last + 1 ? record - b.last - 1 : 0;
        if (d <= bestDistance) { best = b; bestDistance = d; }
        if (d === 0 || b.first > record + bestDistance) break;
      }
      if (best) select(best, true);
    });
    strip.addEventListener('keydown', (e) => {
      if (!buckets.length) return;
      let i = buckets.findIndex((b) => b.first === selected);
      if (e.key === 'ArrowRight' || e.key === 'ArrowDown') i = Math.min(buckets.length - 1, i + 1);
      else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') i = Math.max(0, i < 0 ? 0 : i - 1);
      else if (e.key === 'Home') i = 0;
      else if (e.key === 'End') i = buckets.length - 1;
      else return;
      e.preventDefault();
      select(buckets[i], true);
    });

    function drawStrip(s, end) {
      buckets = s.buckets;
      space = s.space;
      strip.replaceChildren(...s.buckets.map((b, i) => {
        const d = el('div', {
          class: 'bucket ' + kindOf(b),
          'data-i': i,
          'data-first': b.first,
          'data-last': b.last,
          'data-missing': b.missing.count,
          'data-absent': b.absentUpstream.count,
          'data-unexpected': b.unexpected.count
        });
        d.style.left = ((100 * b.first) / s.space) + '%';
        d.style.width = ((100 * (b.last - b.first + 1)) / s.space) + '%';
        return d;
      }));
      document.getElementById('axis-last').textContent = num(Math.max(0, s.space - 1));
      document.getElementById('strip-caption').textContent = s.space === 0
        ? 'The batch expects no records.'
        : num(end.missing) + ' missing in ' + num(end.missingRanges) + ' ranges, ' +
          num(end.absentUpstream) + ' never sent, ' + num(end.unexpected) + ' unexpected (sent → processed); ' +
          num(s.bucketCount) + ' buckets of about ' + num(Math.round(s.space / Math.max(1, s.bucketCount))) + ' records.';
      const again = buckets.find((b) => b.first === selected);
      if (again) select(again, true);
    }

    every(async () => {
      const [b] = await Promise.all([getJson(base), loadGate()]);
      const info = b.view.batch;
      const summary = document.getElementById('summary');
      const rows = [
        ['State', b.view.state],
        ['Expected records', num(info.expectedRecords)],
        ['Attributes', attributesText(info.attributes) || '-'],
        ['Opened (UTC)', utc(info.openedAt)],
        ['Complete since (UTC)', utc(info.completedAt)]
      ];
      summary.replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
      drawStrip(b.strip, b.endToEnd);
      document.querySelector('#hops tbody').replaceChildren(...b.view.hops.map((h) => el('tr', {},
        el('th', { scope: 'row', text: h.upstream + ' → ' + h.downstream }),
        el('td', { class: 'num', text: num(h.upstreamRecords) }),
        el('td', { class: 'num', text: num(h.downstreamRecords) }),
        el('td', { class: 'num', text: num(h.missing) }),
        el('td', { class: 'num', text: num(h.absentUpstream) }),
        el('td', { class: 'num', text: num(h.unexpected) }))));
      document.getElementById('timeline').replaceChildren(...b.timeline.map((e) =>
        el('li', {}, el('time', { datetime: e.at, text: utc(e.at) }), ' ' + e.event)));
    });
  }

  document.addEventListener('DOMContentLoaded', () => {
    const page = document.body.dataset.page;
    if (page === 'batches') batchesPage();
    else if (page === 'batch') batchPage();
  });
})();
