/*
 * sshwarden fleet report: the page script for `sshwarden report --fleet`. Reads the page data
 * (JSON in #report-data, built by src/fleet/report-queries.ts) and draws it with uPlot (inlined)
 * and the DOM; the stylesheet is the log report's (report.css). Every string from the data is
 * rendered with textContent (el() of dom.js), never as HTML: server names, reasons and addresses come
 * from the fleet's servers.
 */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var root = document.getElementById('report');
  root.textContent = '';

  /* include dom.js */
  /** A table: columns [{label, num}], rows of cells (strings or numbers). */
  function table(id, columns, rows, rowClass) {
    var head = el('tr');
    columns.forEach(function (c) { head.appendChild(el('th', c.num ? { class: 'num' } : null, c.label)); });
    var body = el('tbody');
    rows.forEach(function (r, i) {
      var tr = el('tr', rowClass ? { class: rowClass(i) } : null);
      r.forEach(function (v, j) { tr.appendChild(el('td', columns[j].num ? { class: 'num' } : null, columns[j].num && typeof v === 'number' ? num(v) : v)); });
      body.appendChild(tr);
    });
    return el('div', { class: 'table-wrap' }, el('table', { id: id }, el('thead', null, head), body));
  }

  var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  function ink() { return dark ? '#d8dee9' : '#1f2933'; }
  function grid() { return dark ? 'rgba(255,255,255,0.08)' : 'rgba(0,0,0,0.08)'; }
  function axis() { return { stroke: function () { return ink(); }, grid: { stroke: function () { return grid(); }, width: 1 }, ticks: { stroke: function () { return grid(); }, width: 1 } }; }
  var ORIGIN_COLORS = { local: '#ff7f0e', fleet: '#d62728', operator: '#1f6feb' };
  var ORIGIN_WORDS = { local: "a server's own guard", fleet: 'the fleet rule (summed score)', operator: 'an operator (sshwarden ban)' };
  var charts = [];
  function chartWidth() { return Math.max(320, Math.min(1200, (root.clientWidth || 900) - 4)); }

  var T = D.totals;
  // ---- header -----------------------------------------------------------------------------------
  var head = el('header', null, el('h1', null, 'sshwarden fleet report'));
  head.appendChild(el('p', { class: 'meta' },
    'Fleet database ', el('code', null, D.meta.database), ' read as role ', el('code', null, D.meta.role), '. ',
    'The last ' + plural(D.meta.hours, 'hour') + ': from ' + time(D.meta.from) + ' to ' + time(D.meta.to) + ' (the database\'s clock); last decision #' + num(D.meta.maxSeq) + '. ',
    'Made by ', el('code', null, D.meta.command), '.'));
  root.appendChild(head);

  // ---- 1. the fleet in figures -----------------------------------------------------------------
  var sSum = section('sec-summary', 'The fleet');
  var figs = el('div', { class: 'figures' });
  figs.appendChild(figure('servers', T.servers, 'servers'));
  figs.appendChild(figure('bans', T.bans, 'bans decided'));
  figs.appendChild(figure('active-bans', T.activeBans, 'bans in force now'));
  figs.appendChild(figure('logins', T.logins, 'logins shared'));
  figs.appendChild(figure('sources', T.sources, 'sources scored'));
  figs.appendChild(figure('events', T.events, 'scored events'));
  sSum.appendChild(figs);
  if (T.servers === 0) sSum.appendChild(el('p', { class: 'empty' }, 'No server is registered in this fleet yet (sshwarden fleet init URL --server NAME).'));
  else if (T.bans === 0 && T.events === 0 && T.logins === 0) sSum.appendChild(el('p', { class: 'empty' }, 'Nothing was published in this window: no ban, no login, no score.'));

  // ---- 2. timeline ------------------------------------------------------------------------------
  var sTl = section('sec-timeline', 'Timeline');
  var L = D.timeline;
  sTl.appendChild(el('p', { class: 'note' }, 'Bans by origin, shared logins (left axis) and scored events (right axis), per ' + (L.step >= 86400 ? 'day' : L.step >= 3600 ? 'hour' : (L.step / 60) + ' minutes') + '.'));
  var holder = el('div', { id: 'fleet-timeline', class: 'chart' });
  sTl.appendChild(holder);
  var tlOpts = {
    width: chartWidth(), height: 260,
    scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } }, ev: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
    tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
    axes: [axis(), Object.assign(axis(), { scale: 'y' }), Object.assign(axis(), { scale: 'ev', side: 1, grid: { show: false } })],
    series: [
      {},
      { label: 'bans, local', stroke: ORIGIN_COLORS.local, width: 2, fill: 'rgba(255,127,14,0.15)' },
      { label: 'bans, fleet rule', stroke: ORIGIN_COLORS.fleet, width: 2 },
      { label: 'bans, operator', stroke: ORIGIN_COLORS.operator, width: 2 },
      { label: 'logins', stroke: '#2ca02c', width: 2, dash: [4, 3] },
      { label: 'scored events', stroke: '#7b8794', width: 1, scale: 'ev' },
    ],
  };
  charts.push(new uPlot(tlOpts, [L.t, L.local, L.fleet, L.operator, L.logins, L.events], holder));

  // ---- 3. bans by origin --------------------------------------------------------------------------
  var sOr = section('sec-origins', 'Bans by origin');
  var ol = el('ul', { class: 'origins' });
  ['local', 'fleet', 'operator'].forEach(function (o) {
    ol.appendChild(el('li', null, el('strong', { 'data-num': 'origin-' + o }, num(D.origins[o])), ' by ' + ORIGIN_WORDS[o]));
  });
  sOr.appendChild(ol);
  var canvas = el('canvas', { id: 'origin-chart', class: 'hbar' });
  sOr.appendChild(canvas);
  (function drawOrigins() {
    var items = ['local', 'fleet', 'operator'].map(function (o) { return { label: ORIGIN_WORDS[o], value: D.origins[o], color: ORIGIN_COLORS[o] }; });
    var width = Math.min(760, chartWidth()), dpr = window.devicePixelRatio || 1, row = 26, labelW = Math.min(300, width * 0.45);
    canvas.style.width = width + 'px'; canvas.style.height = (items.length * row + 8) + 'px';
    canvas.width = Math.round(width * dpr); canvas.height = Math.round((items.length * row + 8) * dpr);
    var ctx = canvas.getContext('2d');
    ctx.scale(dpr, dpr);
    var max = items.reduce(function (m, it) { return Math.max(m, it.value); }, 1);
    ctx.font = '13px system-ui, sans-serif'; ctx.textBaseline = 'middle';
    items.forEach(function (it, i) {
      var y = 4 + i * row;
      ctx.fillStyle = ink(); ctx.textAlign = 'right'; ctx.fillText(it.label, labelW - 8, y + row / 2);
      var w = Math.max(2, (width - labelW - 70) * it.value / max);
      ctx.fillStyle = it.color; ctx.fillRect(labelW, y + 4, w, row - 8);
      ctx.fillStyle = ink(); ctx.textAlign = 'left'; ctx.fillText(num(it.value), labelW + w + 6, y + row / 2);
    });
  })();

  // ---- 4. servers -------------------------------------------------------------------------------
  var sSrv = section('sec-servers', 'Servers');
  sSrv.appendChild(el('p', { class: 'note' }, 'What each server published in the window: its bans (its guard\'s own, an operator\'s), the logins it shared, and its score summaries. Behind: decisions it has not applied yet.'));
  sSrv.appendChild(table('servers-table',
    [{ label: 'server' }, { label: 'bans, local', num: true }, { label: 'bans, operator', num: true }, { label: 'logins', num: true }, { label: 'score', num: true }, { label: 'events', num: true }, { label: 'sources', num: true }, { label: 'behind', num: true }, { label: 'last seen' }, { label: 'version' }],
    D.servers.map(function (s) { return [s.name, s.bans.local, s.bans.operator, s.logins, s.score, s.events, s.sources, s.lag, s.lastSeen ? s.lastSeen.replace('T', ' ').slice(0, 19) + 'Z' : 'never', s.version || '—']; })));

  // ---- 5. top sources ---------------------------------------------------------------------------
  var sTop = section('sec-sources', 'Top sources, fleet-wide');
  if (!D.topSources.length) sTop.appendChild(el('p', { class: 'empty' }, 'No source was scored in this window.'));
  else {
    sTop.appendChild(el('p', { class: 'note' }, 'Sources by their score summed over every server (at most 100). Servers: how many servers scored it; bans: bans of it (or a network holding it) decided in the window.'));
    sTop.appendChild(table('sources-table',
      [{ label: 'source' }, { label: 'score', num: true }, { label: 'events', num: true }, { label: 'servers', num: true }, { label: 'bans', num: true }, { label: 'banned now' }],
      D.topSources.map(function (s) { return [s.source, s.score, s.events, s.servers, s.bans, s.activeBan ? 'yes' : 'no']; }),
      function (i) { return D.topSources[i].activeBan ? 'banned' : null; }));
  }

  // ---- 6. which servers refused whom ---------------------------------------------------------------
  var sRef = section('sec-refusals', 'Which servers refused whom');
  if (!D.refusals.length) sRef.appendChild(el('p', { class: 'empty' }, 'No server refused anyone in this window.'));
  else {
    sRef.appendChild(el('p', { class: 'note' }, 'Per server, the sources it scored (failed logins, scans; at most 20 per server, highest score first) and whether that server banned it itself.'));
    var pick = el('select', { id: 'refusals-server', 'aria-label': 'server' }, el('option', { value: '' }, 'every server'));
    var names = [];
    D.refusals.forEach(function (r) { if (names.indexOf(r.server) < 0) names.push(r.server); });
    names.forEach(function (n) { pick.appendChild(el('option', { value: n }, n)); });
    sRef.appendChild(el('div', { class: 'controls' }, el('label', null, 'Server: ', pick)));
    var wrap = el('div');
    sRef.appendChild(wrap);
    var drawRefusals = function () {
      var only = pick.value;
      var rows = D.refusals.filter(function (r) { return !only || r.server === only; });
      wrap.textContent = '';
      wrap.appendChild(table('refusals-table', [{ label: 'server' }, { label: 'source' }, { label: 'score', num: true }, { label: 'events', num: true }, { label: 'banned there' }],
        rows.map(function (r) { return [r.server, r.source, r.score, r.events, r.banned ? 'yes' : 'no']; })));
    };
    pick.addEventListener('change', drawRefusals);
    drawRefusals();
  }

  window.addEventListener('resize', function () { charts.forEach(function (c) { var w = chartWidth(); if (Math.abs(c.width - w) > 20) c.setSize({ width: w, height: c.height }); }); });
  document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
  document.body.setAttribute('data-ready', '1');
})();
