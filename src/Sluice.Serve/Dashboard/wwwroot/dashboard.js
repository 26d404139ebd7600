// Sluice's dashboard: reads the REST API (/api/...), follows /api/stream (server-sent events) for the live figures and
// redraws the warehouse panels every few seconds. Every value from the server is put in the page as text
// (textContent), never as markup: dead-letter payloads are whatever a producer sent.
(function () {
  'use strict';

  const token = new URLSearchParams(location.search).get('token');
  const withToken = (path) => token ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : path;
  const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  const money = (cents) => '$' + new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(cents / 100);
  const percent = (x) => (x * 100).toFixed(1) + '%';
  const orDash = (v, f) => v === null || v === undefined ? '–' : f(v);
  const time = (iso) => iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';

  const state = { updates: 0, status: null, reason: null, throughput: [[], [], [], []], lag: [[], [], []] };
  window.sluiceDashboard = state;

  async function api(path) {
    const response = await fetch(withToken(path), { headers: { Accept: 'application/json' } });
    if (response.status === 503) return null; // no warehouse in this process: the panel says so
    if (!response.ok) throw new Error(path + ': HTTP ' + response.status);
    return response.json();
  }

  function text(selector, value) {
    const el = document.querySelector(selector);
    if (el) el.textContent = value;
  }

  function cell(row, value, className) {
    const td = document.createElement('td');
    td.textContent = value;
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function rows(tbodyId, items, columns, empty) {
    const body = document.getElementById(tbodyId);
    const fresh = document.createElement('tbody');
    fresh.id = body.id;
    fresh.dataset.testid = body.dataset.testid;
    if (!items || items.length === 0) {
      const tr = fresh.insertRow();
      const td = cell(tr, items ? empty : 'no warehouse in this process', 'muted');
      td.colSpan = columns.length;
    } else {
      for (const item of items) {
        const tr = fresh.insertRow();
        for (const [get, cls] of columns) cell(tr, get(item), cls);
      }
    }
    body.replaceWith(fresh);
    return fresh;
  }

  function facts(id, pairs) {
    const dl = document.getElementById(id);
    dl.replaceChildren();
    for (const [name, value, testid] of pairs) {
      const dt = document.createElement('dt');
      dt.textContent = name;
      const dd = document.createElement('dd');
      dd.textContent = value;
      if (testid) dd.dataset.testid = testid;
      dl.append(dt, dd);
    }
  }

  function showError(message) {
    const el = document.getElementById('error');
    el.hidden = !message;
    el.textContent = message || '';
  }

  // ---- live figures -------------------------------------------------------------------------------------------------

  function renderStatus(s) {
    state.status = s;
    state.updates++;
    text('#pipeline', s.pipeline);
    text('#mode', s.mode + ' · up ' + number.format(s.uptimeSeconds) + ' s' + (s.warehouse ? ' · warehouse ' + s.warehouse : ''));
    const ready = document.getElementById('ready');
    ready.textContent = s.ready ? 'ready' : 'not ready';
    ready.className = 'badge ' + (s.ready ? 'ok' : 'bad');
    text('[data-testid=kpi-recordsIn]', number.format(s.recordsIn));
    text('[data-testid=kpi-enriched]', number.format(enriched(s.outputs)));
    text('[data-testid=kpi-deadLetters]', number.format(s.deadLetters));
    text('[data-testid=kpi-lateRecords]', number.format(s.lateRecords));
    text('[data-testid=kpi-duplicates]', number.format(s.duplicates));
    text('[data-testid=kpi-bots]', number.format(s.bots));
    text('[data-testid=kpi-consumerLag]', orDash(s.consumerLag, number.format));
    text('[data-testid=kpi-watermarkLagSeconds]', orDash(s.watermarkLagSeconds, number.format));
    text('[data-testid=kpi-openWindows]', number.format(s.openWindows));
    text('[data-testid=kpi-stateEntries]', number.format(s.stateEntries));
    rows('checks', s.checks, [[c => c.name], [c => c.ok ? 'ok' : 'failing', null], [c => c.detail]], 'no checks');
    rows('sinks', s.sinks, [[k => k.name], [k => number.format(k.rows), 'num'], [k => number.format(k.retries), 'num'], [k => k.circuit]], 'no sink in this process');
    const c = s.checkpoints || {};
    facts('checkpoints', [
      ['written', number.format(c.count || 0), 'checkpoints-count'],
      ['last took', orDash(c.lastDurationMs, v => decimal.format(v) + ' ms')],
      ['last size', orDash(c.lastSizeBytes, v => number.format(v) + ' B')],
    ]);
    text('#updated', 'updated ' + new Date().toLocaleTimeString('en-GB') + ' (' + state.updates + ')');
    document.getElementById('updated').dataset.updates = String(state.updates);
  }

  function enriched(outputs) {
    if (!outputs) return 0;
    let n = 0;
    for (const [topic, count] of Object.entries(outputs)) if (topic.endsWith('.enriched')) n += count;
    return n;
  }

  // ---- charts (uPlot) -------------------------------------------------------------------------------------------------

  const charts = {};

  function chartWidth(id) {
    return Math.max(320, document.getElementById(id).clientWidth - 8);
  }

  function makeCharts() {
    if (typeof uPlot === 'undefined') { showError('the chart library did not load'); return; }
    charts.throughput = new uPlot({
      width: chartWidth('chart-throughput'), height: 220,
      series: [{}, { label: 'records/s', stroke: '#2563eb' }, { label: 'outputs/s', stroke: '#16a34a' }, { label: 'dead letters/s', stroke: '#dc2626' }],
      axes: [{}, { size: 70 }],
    }, state.throughput, document.getElementById('chart-throughput'));
    charts.lag = new uPlot({
      width: chartWidth('chart-lag'), height: 220,
      series: [{}, { label: 'consumer lag', stroke: '#9333ea', scale: 'records' }, { label: 'watermark lag (s)', stroke: '#ea580c', scale: 's' }],
      axes: [{}, { scale: 'records', size: 80 }, { scale: 's', side: 1, size: 100 }],
    }, state.lag, document.getElementById('chart-lag'));
    charts.revenue = new uPlot({
      width: chartWidth('chart-revenue'), height: 220,
      series: [{}, { label: 'revenue ($)', stroke: '#0f766e', fill: 'rgba(15,118,110,0.25)', paths: uPlot.paths.bars({ size: [0.8, 40] }) },
        { label: 'purchases', stroke: '#a16207', scale: 'n' }],
      axes: [{}, { size: 80 }, { scale: 'n', side: 1, size: 60 }],
    }, [[], [], []], document.getElementById('chart-revenue'));
    window.addEventListener('resize', () => {
      for (const [id, chart] of Object.entries(charts)) chart.setSize({ width: chartWidth('chart-' + id), height: 220 });
    });
  }

  function addPoint(p) {
    if (!p) return;
    const t = p.t / 1000;
    const tp = state.throughput;
    if (tp[0].length && tp[0][tp[0].length - 1] >= t) return;
    tp[0].push(t); tp[1].push(p.recordsPerSecond); tp[2].push(p.outputsPerSecond); tp[3].push(p.deadLettersPerSecond);
    const lg = state.lag;
    lg[0].push(t); lg[1].push(p.consumerLag); lg[2].push(p.watermarkLagSeconds);
    while (tp[0].length > 3600) { for (const s of tp) s.shift(); for (const s of lg) s.shift(); }
    charts.throughput?.setData(tp);
    charts.lag?.setData(lg);
  }

  async function loadHistory() {
    const history = await api('api/throughput?minutes=60');
    if (!history) return;
    for (const p of history.points) addPoint(p);
  }

  // ---- warehouse panels -----------------------------------------------------------------------------------------------

  async function loadWarehouse() {
    const [funnel, sessions, products, categories, windows, revenue, reasons, late] = await Promise.all([
      api('api/funnel'), api('api/sessions'), api('api/products/top?limit=10'), api('api/categories'),
      api('api/windows/latest?limit=20'), api('api/revenue?hours=1'), api('api/dead-letters/by-reason'), api('api/late?limit=20'),
    ]);
    renderFunnel(funnel);
    if (sessions) {
      facts('sessions', [
        ['sessions', number.format(sessions.sessions), 'sessions-sessions'],
        ['users', number.format(sessions.users), 'sessions-users'],
        ['average length', decimal.format(sessions.avgDurationSeconds) + ' s'],
        ['average events', decimal.format(sessions.avgEvents)],
        ['revenue', money(sessions.revenueCents), 'sessions-revenue'],
        ['converted', percent(sessions.convertedShare)],
        ['abandoned a cart', percent(sessions.abandonedCartShare)],
      ]);
    }
    rows('products', products?.products, [[p => p.productId], [p => p.category ?? ''], [p => number.format(p.views), 'num'],
      [p => number.format(p.purchases), 'num'], [p => money(p.revenueCents), 'num']], 'no product events yet');
    rows('categories', categories?.categories, [[c => c.category], [c => number.format(c.views), 'num'], [c => number.format(c.cartAdds), 'num'],
      [c => number.format(c.purchases), 'num'], [c => money(c.revenueCents), 'num']], 'no category events yet');
    rows('windows', windows?.windows, [[w => w.aggregate], [w => time(w.windowStart) + ' – ' + time(w.windowEnd).slice(11)],
      [w => w.dimension + '=' + w.dimensionValue], [w => w.metric], [w => decimal.format(w.value), 'num']], 'no window closed yet');
    if (revenue && charts.revenue) {
      const pts = revenue.points;
      charts.revenue.setData([pts.map(p => Date.parse(p.t) / 1000), pts.map(p => p.revenueCents / 100), pts.map(p => p.purchases)]);
    }
    const body = rows('reasons', reasons?.reasons, [[r => r.reason], [r => number.format(r.count), 'num'], [r => time(r.lastFailedAt)]], 'no dead letters');
    if (reasons) {
      [...body.rows].forEach((tr, i) => {
        const reason = reasons.reasons[i]?.reason;
        if (!reason) return;
        tr.tabIndex = 0;
        tr.className = 'pick' + (reason === state.reason ? ' chosen' : '');
        tr.dataset.reason = reason;
        tr.addEventListener('click', () => chooseReason(reason));
      });
    }
    rows('late', late?.items, [[l => l.aggregate], [l => time(l.eventTime)], [l => time(l.watermark)]], 'no late records');
    showError(null);
  }

  function renderFunnel(f) {
    const box = document.getElementById('funnel');
    box.replaceChildren();
    if (!f) { box.textContent = 'no warehouse in this process'; return; }
    const stages = [['sessions', f.sessions], ['viewed a page', f.viewed], ['added to cart', f.addedToCart], ['converted', f.converted], ['abandoned a cart', f.abandonedCart]];
    for (const [name, count] of stages) {
      const row = document.createElement('div');
      row.className = 'stage';
      const label = document.createElement('span');
      label.textContent = name;
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = (f.sessions > 0 ? Math.max(1, 100 * count / f.sessions) : 0) + '%';
      const value = document.createElement('span');
      value.className = 'num';
      value.textContent = number.format(count);
      value.dataset.testid = 'funnel-' + name.replace(/ /g, '-');
      row.append(label, bar, value);
      box.appendChild(row);
    }
    text('[data-testid=funnel-conversionRate]', percent(f.conversionRate));
  }

  async function chooseReason(reason) {
    state.reason = reason;
    for (const tr of document.querySelectorAll('#reasons tr')) tr.classList.toggle('chosen', tr.dataset.reason === reason);
    text('#payload-reason', '(' + reason + ')');
    const page = await api('api/dead-letters?reason=' + encodeURIComponent(reason) + '&pageSize=50');
    const list = document.getElementById('letters');
    list.replaceChildren();
    for (const item of page?.items ?? []) {
      const li = document.createElement('li');
      li.tabIndex = 0;
      li.textContent = item.sourceTopic + '[' + item.sourcePartition + ']@' + item.sourceOffset;
      li.addEventListener('click', () => showPayload(item, li));
      list.appendChild(li);
    }
    if (page?.items?.length) showPayload(page.items[0], list.firstChild);
  }

  function showPayload(item, li) {
    for (const other of document.querySelectorAll('#letters li')) other.classList.toggle('chosen', other === li);
    text('#payload-meta', item.reason + ' · ' + item.detail + ' · ' + number.format(item.payloadLength ?? 0) + ' bytes' +
      (item.payloadTruncated ? ' (truncated)' : '') + ' · failed ' + time(item.failedAt));
    // As text, always: a payload is data, whatever it looks like.
    document.getElementById('payload').textContent = item.payloadText;
  }

  // ---- wiring -----------------------------------------------------------------------------------------------------------

  function follow() {
    const source = new EventSource(withToken('api/stream'));
    source.addEventListener('status', (e) => {
      const s = JSON.parse(e.data);
      renderStatus(s);
      addPoint(s.point);
      showError(null);
    });
    source.onerror = () => showError('the live stream is interrupted; reconnecting…');
  }

  async function start() {
    for (const a of document.querySelectorAll('footer a')) a.href = withToken(a.getAttribute('href'));
    makeCharts();
    try {
      renderStatus(await api('api/status'));
      await loadHistory();
    } catch (e) {
      showError(String(e.message || e));
    }
    follow();
    const refresh = () => loadWarehouse().catch(e => showError(String(e.message || e)));
    await refresh();
    setInterval(refresh, 3000);
  }

  document.addEventListener('DOMContentLoaded', start);
})();
