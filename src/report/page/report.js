/*
 * sshwarden report: the page script. Reads the page data (JSON in #report-data, built by
 * src/report/page-data.ts) and draws the sections with uPlot (inlined) and the DOM.
 * Every string from the data is rendered with textContent (el() of dom.js), never as HTML:
 * user names, client versions and messages are client-controlled text.
 */
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('report-data').textContent);
  var root = document.getElementById('report');
  root.textContent = '';

  // ---- helpers ----------------------------------------------------------------------------------
  /* include dom.js */
  function pct(n, total) { if (!total) return '0%'; var p = 100 * n / total; return (p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)) + '%'; }
  function duration(sec) {
    if (sec < 60) return Math.round(sec) + ' s';
    if (sec < 3600) return Math.round(sec / 60) + ' min';
    if (sec < 86400 * 2) return (sec / 3600).toFixed(sec < 36000 ? 1 : 0) + ' h';
    return (sec / 86400).toFixed(1) + ' days';
  }
  /** Text with `code` spans (the summary sentences use backticks). */
  function prose(text) {
    var parts = String(text).split('`');
    var out = [];
    for (var i = 0; i < parts.length; i++) out.push(i % 2 ? el('code', null, parts[i]) : parts[i]);
    return out;
  }
  function note(text) { return el('p', { class: 'note' }, prose(text)); }

  var dark = window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  var OUTCOME_COLORS = {
    dropped: '#d62728', closed_before_ident: '#9aa5b1', reset_before_ident: '#7b8794', non_ssh: '#8c564b',
    protocol_mismatch: '#bcbd22', closed_after_ident: '#17becf', kex_failed: '#9467bd', timeout: '#e377c2',
    auth_failed: '#ff7f0e', authenticated: '#2ca02c', unknown: '#c7c7c7',
  };
  var OUTCOME_WORDS = {
    dropped: 'refused by sshd (MaxStartups / penalties)', closed_before_ident: 'closed before identifying (silent)',
    reset_before_ident: 'reset before identifying', non_ssh: 'not SSH (HTTP, TLS, junk)', protocol_mismatch: 'bad SSH identification',
    closed_after_ident: 'closed after identification (banner grab, key scan)', kex_failed: 'key exchange failed', timeout: 'login grace time expired',
    auth_failed: 'failed to log in', authenticated: 'logged in', unknown: 'unknown',
  };
  var CLASS_COLORS = { legit: '#2ca02c', bruteforce: '#ff7f0e', scanner: '#7b8794', unknown: '#c7c7c7' };
  var CLASS_WORDS = { legit: 'legitimate (logged in)', bruteforce: 'brute force', scanner: 'scanner', unknown: 'unclear' };
  function ink() { return dark ? '#d8dee9' : '#1f2933'; }
  function grid() { return dark ? 'rgba(255,255,255,0.08)' : 'rgba(0,0,0,0.08)'; }

  function chartWidth(container) { return Math.max(320, Math.min(1200, (container.clientWidth || 900) - 4)); }
  var charts = [];
  function axis() {
    return { stroke: function () { return ink(); }, grid: { stroke: function () { return grid(); }, width: 1 }, ticks: { stroke: function () { return grid(); }, width: 1 } };
  }
  var COUNT_INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8];
  var TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000, 31536000];
  /** The time axis, in UTC: seconds for a short span, dates for a long one. */
  function timeAxis() {
    return Object.assign(axis(), {
      incrs: TIME_INCRS,
      values: function (u, splits) {
        var span = u.scales.x.max - u.scales.x.min;
        return splits.map(function (v) {
          var s = new Date(v * 1000).toISOString();
          return span < 600 ? s.slice(11, 19) : span < 2 * 86400 ? s.slice(11, 16) : span < 60 * 86400 ? s.slice(5, 10) + ' ' + s.slice(11, 16) : s.slice(0, 10);
        });
      },
    });
  }
  function countAxis(size) { return Object.assign(axis(), { size: size, incrs: COUNT_INCRS }); }

  var empty = D.meta.sshdLines === 0;
  var noConnections = D.totals.connections === 0;

  // ---- header -----------------------------------------------------------------------------------
  var head = el('header', null, el('h1', null, 'sshwarden report'));
  var files = D.meta.inputs.map(function (f) { return f.file + ' (' + f.format + ')'; }).join(', ');
  head.appendChild(el('p', { class: 'meta' },
    files ? 'Input: ' + files + '. ' : '',
    num(D.meta.lines) + ' lines, ' + num(D.meta.sshdLines) + ' from sshd. ',
    D.meta.first !== null ? 'From ' + time(D.meta.first) + ' to ' + time(D.meta.last) + ' (' + duration(Math.max(0, D.meta.last - D.meta.first)) + '). ' : 'No times in this log. ',
    D.meta.generated ? 'Made ' + time(D.meta.generated) + ' by ' : 'Made by ', el('code', null, D.meta.command), '.'));
  root.appendChild(head);
  if (D.meta.failedInputs) head.appendChild(el('p', { class: 'warning' }, plural(D.meta.failedInputs, 'input') + ' could not be read (see the command\'s error output): this page shows the rest.'));
  if (D.meta.untrustedJournalNote) head.appendChild(el('p', { class: 'warning', id: 'untrusted-journal' }, D.meta.untrustedJournalNote));

  // ---- 1. the answer ----------------------------------------------------------------------------
  var sAnswer = section('sec-answer', 'What happened');
  if (empty) {
    sAnswer.appendChild(el('p', { class: 'verdict empty-input' }, 'This input has no sshd lines: there is nothing to show. Is it an sshd log? (program names sshd, sshd-session, sshd-auth; ' + num(D.meta.lines) + ' lines read, ' + num(D.meta.otherPrograms) + ' from other programs, ' + num(D.meta.malformed) + ' not understood.)'));
  } else {
    sAnswer.appendChild(el('p', { class: 'verdict' }, prose(D.answer.verdict)));
    if (D.answer.causes.length) {
      var ol = el('ol', { class: 'causes' });
      D.answer.causes.forEach(function (c) {
        var li = el('li', { class: 'cause' + (c.action ? ' action' : ''), 'data-cause': c.id },
          el('p', null, el('strong', null, prose(c.summary)), ' ', el('span', { class: 'dim' }, '(' + c.id + (c.by ? ', ' + c.by : '') + '; confidence ' + Math.round(c.confidence * 100) + ' %)')));
        if (c.evidence.length) {
          var ev = el('ul', { class: 'evidence' });
          c.evidence.forEach(function (e) { ev.appendChild(el('li', null, el('code', null, e.where), ' ', e.text)); });
          li.appendChild(ev);
        }
        c.fix.forEach(function (f) {
          var box = el('div', { class: 'advice' }, el('p', null, el('strong', null, 'Fix: '), prose(f.summary)));
          f.changes.forEach(function (ch) { box.appendChild(el('p', { class: 'dim' }, 'In ', el('code', null, ch.file), ':')); box.appendChild(el('pre', null, ch.text)); });
          if (f.commands.length) box.appendChild(el('pre', null, f.commands.join('\n')));
          li.appendChild(box);
        });
        if (c.verify.length) { li.appendChild(el('p', { class: 'dim' }, 'Check that it worked:')); li.appendChild(el('pre', null, c.verify.join('\n'))); }
        ol.appendChild(li);
      });
      sAnswer.appendChild(ol);
    }
    if (D.answer.findings.length) {
      var ul = el('ul', { class: 'findings' });
      D.answer.findings.forEach(function (f) { ul.appendChild(el('li', null, prose(f))); });
      sAnswer.appendChild(ul);
    }
    sAnswer.appendChild(note(D.answer.by === 'doctor' ? 'The answer and the ranked causes are `sshwarden doctor`\'s, from this log' + (D.audit ? ' and this sshd_config' : '') + ' only (no live checks of a host); the list is `sshwarden analyze`\'s summary.' : 'From `sshwarden analyze`\'s summary.'));
  }
  var figs = el('div', { class: 'figures' },
    figure('connections', D.totals.connections, 'connections'),
    figure('sources', D.totals.sources, 'source addresses'),
    figure('authenticated', D.totals.outcomes.authenticated, 'logins'),
    figure('auth_failed', D.totals.outcomes.auth_failed, 'failed logins'),
    figure('dropped', D.totals.outcomes.dropped, 'refused by sshd'),
    figure('dropsReported', D.totals.drops.reportedByThrottleLines, 'drops the throttling lines report'),
    figure('throttlingEpisodes', D.totals.drops.throttlingEpisodes, 'MaxStartups episodes'),
    figure('fromLegitSources', D.totals.drops.fromLegitSources, 'refused from your users'),
    figure('penalties', D.totals.penalties, 'penalties'),
    figure('restarts', D.totals.restarts, 'sshd restarts'));
  sAnswer.appendChild(figs);

  // ---- 2. timeline ------------------------------------------------------------------------------
  var sTime = section('sec-timeline', 'Timeline');
  var T = D.timeline;
  if (noConnections || T.start === null) {
    sTime.appendChild(el('p', { class: 'empty' }, noConnections ? 'No connections in this log: nothing to draw.' : 'The connections in this log have no times: no timeline can be drawn.'));
  } else {
    var n = T.counts[0].length;
    var xs = new Array(n + 1);
    for (var i = 0; i <= n; i++) xs[i] = T.start + i * T.step;
    var present = [];
    D.outcomes.forEach(function (o, oi) { var s = 0; for (var b = 0; b < n; b++) s += T.counts[oi][b]; if (s > 0) present.push(oi); });
    // Stacked bars: cumulative sums, drawn tallest first so each lower layer paints over it.
    var cum = [];
    var acc = new Array(n + 1).fill(0);
    present.forEach(function (oi) { acc = acc.map(function (v, b) { return b < n ? v + T.counts[oi][b] : null; }); cum.push(acc.slice()); });
    var markLine = el('p', { class: 'legend' });
    present.forEach(function (oi) {
      var o = D.outcomes[oi];
      markLine.appendChild(el('span', { class: 'key' }, el('i', { style: 'background:' + OUTCOME_COLORS[o] }), OUTCOME_WORDS[o] + ' (' + num(D.totals.outcomes[o]) + ')'));
    });
    if (D.throttling.length) markLine.appendChild(el('span', { class: 'key' }, el('i', { class: 'shade throttle' }), 'MaxStartups throttling (' + D.throttling.length + ')'));
    if (D.penalties.length) markLine.appendChild(el('span', { class: 'key' }, el('i', { class: 'shade penalty' }), 'PerSourcePenalties (' + D.penalties.length + ')'));
    if (D.restarts.length) markLine.appendChild(el('span', { class: 'key' }, el('i', { class: 'restart' }), 'sshd restart / stop (' + D.restarts.length + ')'));
    if (D.userRefusals.length) markLine.appendChild(el('span', { class: 'key' }, el('i', { class: 'refusal' }), 'refused from a source that also logged in (' + D.userRefusals.length + ')'));
    sTime.appendChild(markLine);
    var controls = el('div', { class: 'controls' },
      el('button', { type: 'button', 'data-act': 'zoom-in' }, 'Zoom in'),
      el('button', { type: 'button', 'data-act': 'zoom-out' }, 'Zoom out'),
      el('button', { type: 'button', 'data-act': 'pan-left' }, '◀ Earlier'),
      el('button', { type: 'button', 'data-act': 'pan-right' }, 'Later ▶'),
      el('button', { type: 'button', 'data-act': 'reset' }, 'Whole log'),
      el('span', { class: 'hint' }, 'Times in UTC. Drag across the chart to zoom in, mouse wheel to zoom, Shift+wheel to pan, double-click for the whole log. Bucket: ' + duration(T.step) + '.'));
    sTime.appendChild(controls);
    var hover = el('p', { class: 'hover', id: 'timeline-hover' }, ' ');
    var holder = el('div', { class: 'chart', id: 'timeline-chart' });
    sTime.appendChild(holder);
    sTime.appendChild(hover);
    if (T.untimed) sTime.appendChild(note(plural(T.untimed, 'connection') + ' had no time and are not on the timeline.'));

    var series = [{}];
    for (var k = present.length - 1; k >= 0; k--) {
      (function (oi, idx) {
        series.push({ label: D.outcomes[oi], stroke: OUTCOME_COLORS[D.outcomes[oi]], fill: OUTCOME_COLORS[D.outcomes[oi]], width: 0,
          paths: uPlot.paths.bars({ size: [1, Infinity, 1], align: 1, gap: 0 }), points: { show: false } });
      })(present[k], k);
    }
    var data = [xs];
    for (var k2 = present.length - 1; k2 >= 0; k2--) data.push(cum[k2]);
    var full = [xs[0], xs[n]];
    var drawMarks = function (u) {
      var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
      function x(t) { return u.valToPos(t, 'x', true); }
      ctx.save();
      ctx.fillStyle = dark ? 'rgba(255,80,80,0.18)' : 'rgba(214,39,40,0.12)';
      D.throttling.forEach(function (ep) {
        var a = ep.start !== null ? ep.start : ep.end, b = ep.end !== null ? ep.end : ep.start;
        if (a === null) return;
        var x0 = x(a), x1 = Math.max(x(b + T.step), x0 + 2);
        ctx.fillRect(x0, top, x1 - x0, h);
      });
      ctx.fillStyle = dark ? 'rgba(255,170,60,0.22)' : 'rgba(255,127,14,0.16)';
      D.penalties.forEach(function (p) { if (p.t === null) return; var x0 = x(p.t); ctx.fillRect(x0, top, Math.max(x(p.t + T.step) - x0, 2), h); });
      ctx.restore();
    };
    var drawPoints = function (u) {
      var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height;
      function x(t) { return u.valToPos(t, 'x', true); }
      ctx.save();
      ctx.strokeStyle = ink();
      ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.lineWidth = devicePixelRatio;
      D.restarts.forEach(function (r) { if (r.t === null) return; var xx = x(r.t); ctx.beginPath(); ctx.moveTo(xx, top); ctx.lineTo(xx, top + h); ctx.stroke(); });
      ctx.setLineDash([]);
      ctx.fillStyle = '#e00000';
      ctx.strokeStyle = ink();
      ctx.lineWidth = 1.5 * devicePixelRatio;
      var r = 6 * devicePixelRatio;
      D.userRefusals.forEach(function (m) {
        var xx = x(m[0] + T.step / 2);
        if (xx < u.bbox.left - r || xx > u.bbox.left + u.bbox.width + r) return;
        ctx.beginPath(); ctx.moveTo(xx - r, top); ctx.lineTo(xx + r, top); ctx.lineTo(xx, top + 1.6 * r); ctx.closePath(); ctx.fill(); ctx.stroke();
      });
      ctx.restore();
    };
    var opts = {
      width: chartWidth(sTime), height: 300,
      legend: { show: false },
      cursor: { drag: { x: true, y: false, setScale: true }, points: { show: false } },
      // headroom above the tallest bar for the red marks
      scales: { x: { time: true, range: function (u, min, max) { return min === max ? [min - T.step, max + T.step] : [min, max]; } }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * (D.userRefusals.length ? 1.15 : 1)]; } } },
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
      axes: [timeAxis(), countAxis(60)],
      series: series,
      hooks: {
        drawClear: [drawMarks],
        draw: [drawPoints],
        setCursor: [function (u) {
          var idx = u.cursor.idx;
          if (idx === null || idx === undefined || idx >= n) { hover.textContent = ' '; return; }
          var parts = [time(xs[idx]) + ' + ' + duration(T.step) + ':'];
          present.forEach(function (oi) { var v = T.counts[oi][idx]; if (v) parts.push(D.outcomes[oi] + ' ' + num(v)); });
          if (parts.length === 1) parts.push('no connections');
          hover.textContent = parts.join('  ');
        }],
        setScale: [function (u, key) {
          if (key === 'x') controls.setAttribute('data-range', u.scales.x.min + ',' + u.scales.x.max);
        }],
      },
    };
    var tl = new uPlot(opts, data, holder);
    charts.push(tl);
    var setX = function (a, b) {
      var span = Math.max(b - a, T.step);
      if (span > full[1] - full[0]) { a = full[0]; b = full[1]; }
      else { if (a < full[0]) { a = full[0]; b = a + span; } if (b > full[1]) { b = full[1]; a = b - span; } }
      tl.setScale('x', { min: a, max: b });
    };
    var zoom = function (factor, center) {
      var a = tl.scales.x.min, b = tl.scales.x.max;
      var c = center === undefined ? (a + b) / 2 : center;
      setX(c - (c - a) * factor, c + (b - c) * factor);
    };
    var pan = function (frac) { var a = tl.scales.x.min, b = tl.scales.x.max, d = (b - a) * frac; setX(a + d, b + d); };
    controls.addEventListener('click', function (e) {
      var act = e.target && e.target.getAttribute && e.target.getAttribute('data-act');
      if (act === 'zoom-in') zoom(0.5); else if (act === 'zoom-out') zoom(2);
      else if (act === 'pan-left') pan(-0.5); else if (act === 'pan-right') pan(0.5);
      else if (act === 'reset') setX(full[0], full[1]);
    });
    tl.over.addEventListener('wheel', function (e) {
      e.preventDefault();
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) { pan((e.shiftKey ? e.deltaY : e.deltaX) > 0 ? 0.2 : -0.2); return; }
      var rect = tl.over.getBoundingClientRect();
      zoom(e.deltaY < 0 ? 0.75 : 1 / 0.75, tl.posToVal(e.clientX - rect.left, 'x'));
    }, { passive: false });
  }

  // ---- 3. kex_exchange_identification -----------------------------------------------------------
  var sKex = section('sec-kex', 'The kex_exchange_identification lines');
  var K = D.kex;
  sKex.appendChild(el('div', { class: 'figures' }, figure('kexLines', K.lines, 'lines'), figure('kexConnections', K.connections, 'connections'), figure('kexSources', K.sources, 'sources'), figure('kexUnattributed', K.unattributed, 'without an address')));
  if (K.lines === 0) {
    sKex.appendChild(el('p', { class: 'empty' }, 'No `kex_exchange_identification` lines in this log.'.replace(/`/g, '')));
  } else {
    var kexItems = [];
    D.outcomes.forEach(function (o) { if (K.outcomes[o]) kexItems.push({ label: OUTCOME_WORDS[o], key: o, value: K.outcomes[o], color: OUTCOME_COLORS[o] }); });
    kexItems.sort(function (a, b) { return b.value - a.value; });
    var words = el('p', null, prose(plural(K.lines, '`kex_exchange_identification` line') + ' belong to ' + plural(K.connections, 'connection') + ' from ' + plural(K.sources, 'source') + (K.unattributed ? ' (' + num(K.unattributed) + ' could not be tied to an address)' : '') + '. What each connection really was: ' +
      kexItems.map(function (it) { return pct(it.value, K.connections) + ' ' + it.label + ' (' + num(it.value) + ')'; }).join(', ') + '.'));
    sKex.appendChild(words);
    var details = Object.keys(K.details).sort(function (a, b) { return K.details[b] - K.details[a]; });
    if (details.length) sKex.appendChild(el('p', { class: 'note' }, 'In detail: ' + details.map(function (d) { return d + ' ' + num(K.details[d]); }).join(', ') + '.'));
    var kexCanvas = el('canvas', { id: 'kex-chart', class: 'hbar' });
    sKex.appendChild(kexCanvas);
    hbars(kexCanvas, kexItems, chartWidth(sKex));
  }

  /** A horizontal bar chart on a canvas: one labelled bar per item. */
  function hbars(canvas, items, width) {
    var dpr = window.devicePixelRatio || 1, row = 26, labelW = Math.min(360, width * 0.45);
    canvas.style.width = width + 'px';
    canvas.style.height = (items.length * row + 8) + 'px';
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round((items.length * row + 8) * dpr);
    var ctx = canvas.getContext('2d');
    ctx.scale(dpr, dpr);
    var max = items.reduce(function (m, it) { return Math.max(m, it.value); }, 1);
    ctx.font = '13px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    items.forEach(function (it, i) {
      var y = 4 + i * row;
      ctx.fillStyle = ink();
      ctx.textAlign = 'right';
      ctx.fillText(it.label, labelW - 8, y + row / 2);
      var w = Math.max(2, (width - labelW - 70) * it.value / max);
      ctx.fillStyle = it.color;
      ctx.fillRect(labelW, y + 4, w, row - 8);
      ctx.fillStyle = ink();
      ctx.textAlign = 'left';
      ctx.fillText(num(it.value), labelW + w + 6, y + row / 2);
    });
  }

  // ---- 4. sources -------------------------------------------------------------------------------
  var sSrc = section('sec-sources', 'Sources');
  var classFigs = el('div', { class: 'figures' });
  D.classes.forEach(function (c) { classFigs.appendChild(figure('class-' + c, D.totals.classes[c], CLASS_WORDS[c])); });
  sSrc.appendChild(classFigs);
  var rows = D.sources.rows;
  if (rows.length === 0) {
    sSrc.appendChild(el('p', { class: 'empty' }, 'No source addresses in this log.'));
  } else {
    // top talkers
    var top = rows.slice().sort(function (a, b) { return b[2] - a[2]; }).slice(0, 10);
    var tt = el('div', { class: 'top-talkers' }, el('h3', null, 'Top talkers'));
    var maxConn = top[0][2];
    top.forEach(function (r) {
      tt.appendChild(el('div', { class: 'talker' }, el('span', { class: 'addr' }, r[0]), el('span', { class: 'bar', style: 'width:' + Math.max(1, Math.round(60 * r[2] / maxConn)) + '%;background:' + CLASS_COLORS[D.classes[r[1]]] }), el('span', { class: 'n' }, num(r[2]) + ' · ' + D.classes[r[1]])));
    });
    sSrc.appendChild(tt);
    // class over time
    var C = D.classTimeline;
    if (C.start !== null && C.counts[0].length > 0) {
      sSrc.appendChild(el('h3', null, 'Active sources per ' + duration(C.step) + ', by class'));
      var cHolder = el('div', { class: 'chart', id: 'class-chart' });
      sSrc.appendChild(cHolder);
      var cn = C.counts[0].length;
      var cx = new Array(cn + 1);
      for (var ci = 0; ci <= cn; ci++) cx[ci] = C.start + ci * C.step;
      var cData = [cx];
      var cSeries = [{}];
      var cLegend = el('p', { class: 'legend' });
      D.classes.forEach(function (c, i) {
        cData.push(C.counts[i].concat([C.counts[i][cn - 1]]));
        cSeries.push({ label: c, stroke: CLASS_COLORS[c], width: 2, paths: uPlot.paths.stepped({ align: 1 }), points: { show: false } });
        cLegend.appendChild(el('span', { class: 'key' }, el('i', { style: 'background:' + CLASS_COLORS[c] }), CLASS_WORDS[c]));
      });
      sSrc.appendChild(cLegend);
      charts.push(new uPlot({
        width: chartWidth(sSrc), height: 200, legend: { show: false }, cursor: { drag: { x: true, y: false } },
        scales: { x: { time: true, range: function (u, min, max) { return min === max ? [min - C.step, max + C.step] : [min, max]; } }, y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
        tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); },
        axes: [timeAxis(), countAxis(50)], series: cSeries,
      }, cData, cHolder));
    }
    // the table
    sSrc.appendChild(el('h3', null, 'All sources'));
    var filterText = el('input', { type: 'search', id: 'source-filter', placeholder: 'Filter: address, user, outcome…', 'aria-label': 'Filter sources' });
    var classSel = el('select', { id: 'source-class', 'aria-label': 'Class' }, el('option', { value: '' }, 'every class'));
    D.classes.forEach(function (c) { classSel.appendChild(el('option', { value: c }, c)); });
    var onlyIn = el('input', { type: 'checkbox', id: 'source-loggedin' });
    sSrc.appendChild(el('div', { class: 'controls' }, filterText, classSel, el('label', null, onlyIn, ' logged in only')));
    var status = el('p', { class: 'note', id: 'source-status' });
    var COLS = [
      { name: 'Address', key: 'address', get: function (r) { return r[0]; }, nowrap: true },
      { name: 'Class', key: 'class', get: function (r) { return D.classes[r[1]]; }, nowrap: true },
      { name: 'Connections', key: 'connections', get: function (r) { return r[2]; }, num: true },
      { name: 'Outcomes', key: 'outcomes', get: function (r) { return outcomesText(r[3]); } },
      { name: 'First seen', key: 'first', get: function (r) { return r[4]; }, time: true, nowrap: true },
      { name: 'Last seen', key: 'last', get: function (r) { return r[5]; }, time: true, nowrap: true },
      { name: 'Logged in', key: 'loggedin', get: function (r) { return r[6] ? 'yes' : 'no'; } },
      { name: 'Penalised', key: 'penalised', get: function (r) { return r[7] ? 'yes' : 'no'; } },
      { name: 'Failures', key: 'failures', get: function (r) { return r[8]; }, num: true },
      { name: 'Users tried', key: 'users', get: function (r) { return r[9].join(', '); } },
    ];
    function outcomesText(counts) {
      var parts = [];
      for (var i = 0; i < counts.length; i++) if (counts[i]) parts.push(D.outcomes[i] + ' ' + counts[i]);
      return parts.join(', ');
    }
    var sortCol = 2, sortDir = -1;
    var thead = el('tr');
    COLS.forEach(function (c, i) {
      var th = el('th', { 'data-col': c.key, scope: 'col', tabindex: '0', class: c.num ? 'num' : null }, c.name);
      th.addEventListener('click', function () { if (sortCol === i) sortDir = -sortDir; else { sortCol = i; sortDir = c.num || c.time ? -1 : 1; } renderTable(); });
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') th.click(); });
      thead.appendChild(th);
    });
    var tbody = el('tbody');
    var table = el('table', { id: 'sources-table', class: 'sources' }, el('thead', null, thead), tbody);
    sSrc.appendChild(status);
    sSrc.appendChild(el('div', { class: 'table-wrap' }, table));
    var SHOW = 500;
    var renderTable = function () {
      var q = filterText.value.trim().toLowerCase(), cls = classSel.value, only = onlyIn.checked;
      var list = rows.filter(function (r) {
        if (cls && D.classes[r[1]] !== cls) return false;
        if (only && !r[6]) return false;
        if (!q) return true;
        return r[0].toLowerCase().indexOf(q) >= 0 || D.classes[r[1]].indexOf(q) >= 0 || outcomesText(r[3]).indexOf(q) >= 0 || r[9].join(' ').toLowerCase().indexOf(q) >= 0;
      });
      var col = COLS[sortCol];
      list.sort(function (a, b) {
        var x = col.get(a), y = col.get(b);
        if (x === y) return b[2] - a[2] || (a[0] < b[0] ? -1 : 1);
        if (x === null) return 1; if (y === null) return -1;
        return (x < y ? -1 : 1) * sortDir;
      });
      tbody.textContent = '';
      var frag = document.createDocumentFragment();
      list.slice(0, SHOW).forEach(function (r) {
        var tr = el('tr', { 'data-address': r[0], class: 'class-' + D.classes[r[1]] });
        COLS.forEach(function (c) { var v = c.get(r); tr.appendChild(el('td', { class: c.num ? 'num' : c.nowrap ? 'nowrap' : null, 'data-col': c.key }, c.time ? time(v) : c.num ? num(v) : v)); });
        frag.appendChild(tr);
      });
      tbody.appendChild(frag);
      Array.prototype.forEach.call(thead.children, function (th, i) { th.setAttribute('aria-sort', i === sortCol ? (sortDir < 0 ? 'descending' : 'ascending') : 'none'); });
      status.setAttribute('data-matching', String(list.length));
      status.textContent = (list.length > SHOW ? 'Showing the first ' + num(SHOW) + ' of ' : '') + plural(list.length, 'matching source') +
        (D.sources.total > rows.length ? ' (this page holds the ' + num(rows.length) + ' busiest of ' + num(D.sources.total) + ' sources and every one that logged in; `sshwarden analyze --json` has them all)' : '') + '. Click a column heading to sort.';
    };
    filterText.addEventListener('input', renderTable);
    classSel.addEventListener('change', renderTable);
    onlyIn.addEventListener('change', renderTable);
    renderTable();
  }

  // ---- 5. your users ----------------------------------------------------------------------------
  var sUsers = section('sec-users', 'Your users');
  if (D.users.length === 0) {
    sUsers.appendChild(el('p', { class: 'empty' }, 'No source logged in during this log, so none can be called one of your users.'));
  } else {
    var troubled = D.users.filter(function (u) { return u.problems.length + u.problemsOmitted > 0; }).length;
    sUsers.appendChild(el('p', null, plural(D.users.length + D.usersOmitted, 'source') + ' logged in at least once (your users, or someone with their credentials); ' +
      (troubled ? plural(troubled, 'of them', 'of them') + ' also had connections refused or failed:' : 'none of them had a connection refused or failed.')));
    var ulist = el('div', { class: 'users' });
    D.users.forEach(function (u) {
      var card = el('div', { class: 'user', 'data-address': u.address },
        el('h3', null, u.address),
        el('p', { class: 'meta' }, plural(u.logins, 'login') + ' in ' + plural(u.connections, 'connection') + ', ' + time(u.firstSeen) + ' – ' + time(u.lastSeen) + (u.users.length ? '. User names: ' : '.'), u.users.length ? el('span', { class: 'names' }, u.users.join(', ')) : null));
      if (u.problems.length) {
        var tb = el('tbody');
        u.problems.forEach(function (p) {
          tb.appendChild(el('tr', { class: p[1] === 'dropped' ? 'refused' : null }, el('td', null, time(p[0])), el('td', null, OUTCOME_WORDS[p[1]] || p[1]), el('td', null, p[2]), el('td', null, p[3])));
        });
        card.appendChild(el('table', { class: 'problems' }, el('thead', null, el('tr', null, el('th', null, 'When'), el('th', null, 'What happened'), el('th', null, 'Detail'), el('th', null, 'Why (sshd\'s words)'))), tb));
      }
      if (u.problemsOmitted) card.appendChild(note(plural(u.problemsOmitted, 'more refused or failed connection') + ' not kept on this page.'));
      ulist.appendChild(card);
    });
    sUsers.appendChild(ulist);
    if (D.usersOmitted) sUsers.appendChild(note(plural(D.usersOmitted, 'more source') + ' that logged in (those with the fewest refused or failed connections) are not listed here; `sshwarden analyze --json` has them all.'));
  }

  // ---- 5b. the wire (report --pcap) ------------------------------------------------------------
  if (D.wire) {
    var W = D.wire;
    var sWire = section('sec-wire', 'What the wire saw');
    sWire.appendChild(el('p', null, 'Capture ', el('code', null, W.file), ': ' + plural(W.packets, 'packet') + ', ' + plural(W.connections, 'SSH connection') +
      (W.first !== null ? ', ' + time(W.first) + ' – ' + time(W.last) : '') + '.'));
    if (W.error) sWire.appendChild(el('p', { class: 'warning' }, W.error + ' (the packets before it were read).'));
    if (W.joined) {
      var off = W.clockOffsetMs;
      sWire.appendChild(el('p', { id: 'wire-clock' }, 'Joined with the log: ' + plural(W.both, 'connection') + ' both saw, ' + num(W.wireOnly.total) + ' only the wire, ' + num(W.logOnly) + ' only the log. ' +
        (off === null ? 'Clock offset between the capture and the log: unknown (no connection both saw).' : 'Clock offset (log time − capture time): ' + (off >= 0 ? '+' : '') + (off / 1000).toFixed(3) + ' s, from ' + plural(W.offsetPairs, 'connection') + ' both saw.')));
    } else sWire.appendChild(note('No connection of the log falls in the capture\'s time, so the two could not be joined.'));
    var wo = el('tbody');
    Object.keys(W.outcomes).sort(function (a, b) { return W.outcomes[b] - W.outcomes[a]; }).forEach(function (o) {
      wo.appendChild(el('tr', { 'data-outcome': o }, el('td', null, OUTCOME_WORDS[o] || o), el('td', { class: 'num' }, num(W.outcomes[o]))));
    });
    var ws = el('tbody');
    Object.keys(W.connStates).sort(function (a, b) { return W.connStates[b] - W.connStates[a]; }).forEach(function (k) {
      ws.appendChild(el('tr', { 'data-state': k }, el('td', null, el('code', null, k)), el('td', { class: 'num' }, num(W.connStates[k]))));
    });
    sWire.appendChild(el('div', { class: 'table-wrap' },
      el('table', { id: 'wire-outcomes' }, el('thead', null, el('tr', null, el('th', null, 'Outcome on the wire'), el('th', null, 'Connections'))), wo),
      el('table', { id: 'wire-states' }, el('thead', null, el('tr', null, el('th', null, 'TCP state (Zeek conn_state)'), el('th', null, 'Connections'))), ws)));
    if (W.joined) {
      sWire.appendChild(el('h3', null, 'Connections only the wire saw'));
      if (W.wireOnly.total === 0) sWire.appendChild(el('p', { class: 'empty' }, 'None: the log has a line for every connection of the capture.'));
      else {
        var wb = el('tbody');
        W.wireOnly.rows.forEach(function (r) {
          wb.appendChild(el('tr', { 'data-client': r[1] }, el('td', null, time(r[0])), el('td', null, r[1] + ' port ' + r[2]), el('td', null, OUTCOME_WORDS[r[3]] || r[3]), el('td', null, r[4]), el('td', { class: 'num' }, String(r[5])), el('td', null, r[6])));
        });
        sWire.appendChild(el('div', { class: 'table-wrap' }, el('table', { id: 'wire-only' }, el('thead', null, el('tr', null, el('th', null, 'When'), el('th', null, 'Client'), el('th', null, 'Outcome'), el('th', null, 'Detail'), el('th', null, 'Frame'), el('th', null, 'Why the log has no line'))), wb)));
        if (W.wireOnly.total > W.wireOnly.rows.length) sWire.appendChild(note(plural(W.wireOnly.total - W.wireOnly.rows.length, 'more wire-only connection') + ' not kept on this page: `sshwarden pcap FILE --log LOG --json` has them all.'));
      }
      if (W.disagreements.total) {
        sWire.appendChild(el('h3', null, 'Where the wire and the log disagree'));
        var db = el('tbody');
        W.disagreements.rows.forEach(function (r) { db.appendChild(el('tr', null, el('td', null, time(r[0])), el('td', null, r[1] + ' port ' + r[2]), el('td', null, OUTCOME_WORDS[r[3]] || r[3]), el('td', null, OUTCOME_WORDS[r[4]] || r[4]), el('td', { class: 'num' }, String(r[5])))); });
        sWire.appendChild(el('div', { class: 'table-wrap' }, el('table', { id: 'wire-disagreements' }, el('thead', null, el('tr', null, el('th', null, 'When'), el('th', null, 'Client'), el('th', null, 'The wire'), el('th', null, 'The log'), el('th', null, 'Frame'))), db)));
      }
    }
  }

  // ---- 6. configuration -------------------------------------------------------------------------
  var sCfg = section('sec-config', 'Configuration');
  if (D.auditError) sCfg.appendChild(el('p', { class: 'warning' }, D.auditError));
  if (!D.audit && !D.auditError) {
    sCfg.appendChild(el('p', { class: 'empty' }, prose('No sshd_config given: run `sshwarden report … --config /etc/ssh/sshd_config` to add the audit findings and the MaxStartups simulation.')));
  }
  if (D.audit) {
    sCfg.appendChild(el('p', null, 'Audit of ', el('code', null, D.audit.root), ' for OpenSSH ' + D.audit.version + ': ' + plural(D.audit.findings.length, 'finding') + '.'));
    if (D.audit.sshd) sCfg.appendChild(el('p', { class: D.audit.sshd.accepted ? 'note' : 'warning' }, 'The local sshd ' + D.audit.sshd.version + ' (sshd -t) ' + (D.audit.sshd.accepted ? 'accepts this configuration.' : 'rejects this configuration: ' + D.audit.sshd.message)));
    D.audit.findings.forEach(function (f) {
      sCfg.appendChild(el('div', { class: 'finding sev-' + f.severity },
        el('p', null, el('span', { class: 'sev' }, f.severity.toUpperCase()), ' ', el('strong', null, f.title), f.file ? el('span', { class: 'where' }, ' ' + f.file + (f.line ? ':' + f.line : '')) : null),
        el('p', null, el('span', { class: 'dim' }, 'who: '), f.impact), el('p', null, el('span', { class: 'dim' }, 'fix: '), f.fix)));
    });
  }
  if (D.simulation) {
    sCfg.appendChild(el('h3', null, D.simulation.title));
    var sh = el('tr');
    D.simulation.columns.forEach(function (c) { sh.appendChild(el('th', null, c)); });
    var sb = el('tbody');
    D.simulation.rows.forEach(function (r) { var tr = el('tr'); r.forEach(function (c) { tr.appendChild(el('td', null, c)); }); sb.appendChild(tr); });
    sCfg.appendChild(el('div', { class: 'table-wrap' }, el('table', { id: 'simulation-table' }, el('thead', null, sh), sb)));
    if (D.simulation.note) sCfg.appendChild(el('p', { id: 'simulation-answer' }, prose(D.simulation.note)));
    var adv = D.simulation.advice;
    if (adv) {
      var box = el('div', { class: 'advice', id: 'simulation-advice' }, el('p', null, el('strong', null, 'What to change: '), prose(adv.summary)));
      adv.changes.forEach(function (c) { box.appendChild(el('p', { class: 'dim' }, 'In ', el('code', null, c.file), c.line ? ' (line ' + c.line + ')' : '', ':')); box.appendChild(el('pre', null, c.text)); });
      if (adv.commands.length) { box.appendChild(el('p', { class: 'dim' }, 'Then run:')); box.appendChild(el('pre', null, adv.commands.join('\n'))); }
      if (adv.verify.length) { box.appendChild(el('p', { class: 'dim' }, 'Check that it worked:')); box.appendChild(el('pre', null, adv.verify.join('\n'))); }
      sCfg.appendChild(box);
    }
  } else if (D.simulationError) sCfg.appendChild(el('p', { class: 'warning' }, D.simulationError));

  // ---- 7. what this log cannot tell -------------------------------------------------------------
  var sAbout = section('sec-about', 'What this log cannot tell');
  var A = D.about;
  sAbout.appendChild(el('p', null, el('strong', null, 'LogLevel: ' + A.logLevel.level + '. '), prose(A.logLevel.why)));
  sAbout.appendChild(el('p', null, el('strong', null, 'OpenSSH version: ' + A.era.range + '. '), A.era.clues.length ? prose(A.era.clues.join('; ') + '.') : null));
  if (A.blindSpots.length) {
    var bl = el('ul', { class: 'blind' });
    A.blindSpots.forEach(function (b) { bl.appendChild(el('li', null, prose(b))); });
    sAbout.appendChild(bl);
  } else sAbout.appendChild(el('p', null, 'No blind spots known for this LogLevel and version.'));
  if (A.unattributed.connections) {
    sAbout.appendChild(el('p', null, plural(A.unattributed.connections, 'connection') + ' could not be tied to an address: ' + Object.keys(A.unattributed.reasons).map(function (r) { return r + ' (' + num(A.unattributed.reasons[r]) + ')'; }).join(', ') + '.'));
  }
  if (A.unrecognised) sAbout.appendChild(el('p', null, prose(plural(A.unrecognised, 'sshd line') + ' not recognised: `sshwarden analyze` lists examples.')));
  if (A.eventsOmitted) sAbout.appendChild(el('p', null, plural(A.eventsOmitted, 'server event') + ' beyond the first 10,000 are not shown.'));

  // Redraw the charts in the other colours when the system theme changes, and at the new width on resize.
  window.addEventListener('resize', function () {
    charts.forEach(function (c) { var w = chartWidth(c.root.parentElement.parentElement || root); if (Math.abs(c.width - w) > 20) c.setSize({ width: w, height: c.height }); });
  });
  if (window.matchMedia) {
    var mq = window.matchMedia('(prefers-color-scheme: dark)');
    var onTheme = function () { dark = mq.matches; charts.forEach(function (c) { c.redraw(false, true); }); };
    if (mq.addEventListener) mq.addEventListener('change', onTheme);
  }
  // When the page was drawn (ms since navigation start): the benchmark reads it.
  document.body.setAttribute('data-ready-ms', String(Math.round(performance.now())));
  document.body.setAttribute('data-ready', '1');
})();
