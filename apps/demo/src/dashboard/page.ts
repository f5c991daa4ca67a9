// The dashboard page: one HTML document whose only script and style carry the response's CSP nonce. The script adds
// every listener itself (the CSP forbids inline handlers: script-src-attr 'none'), sets styles through the CSSOM, and
// talks to this demo only: /dashboard/state every second, /quote every two seconds (so the breaker and the rate limit
// have traffic to show), /dashboard/ping for the burst, the loopback-only /admin routes for the buttons.

const STYLE = `
:root { --ok: #2e7d32; --warn: #ed6c02; --bad: #c62828; --iso: #6a1b9a; --muted: #666; --line: #ddd; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d1d1f; }
header { display: flex; align-items: baseline; gap: 1rem; padding: .8rem 1.5rem; background: #1d2433; color: #fff; }
header h1 { font-size: 1.2rem; margin: 0; }
header nav a { color: #c9d6ff; margin-right: .8rem; }
#conn { margin-left: auto; font-size: .85rem; color: #c9d6ff; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 1rem; padding: 1rem 1.5rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: .8rem 1rem; }
section h2 { font-size: 1rem; margin: 0 0 .5rem; display: flex; align-items: center; gap: .5rem; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; color: #fff; font-size: .8rem; background: var(--muted); }
.s-closed, .s-pass, .a-ok, .s-primary { background: var(--ok); }
.s-half-open, .s-warn, .s-active { background: var(--warn); }
.s-open, .s-fail, .a-failed { background: var(--bad); }
.s-isolated, .s-disabled { background: var(--iso); }
.a-rejected, .s-decrypt-only { background: #9e9e9e; }
.muted { color: var(--muted); font-size: .85rem; }
ul.plain { list-style: none; margin: .3rem 0; padding: 0; }
ul.plain li { padding: .15rem 0; border-bottom: 1px solid #f0f0f0; }
.dot { display: inline-block; min-width: 1.4rem; text-align: center; border-radius: 4px; color: #fff; font-size: .75rem; margin-right: 2px; }
table { border-collapse: collapse; width: 100%; }
td, th { text-align: left; padding: .2rem .4rem; border-bottom: 1px solid #f0f0f0; font-size: .85rem; }
code, .mono { font-family: ui-monospace, monospace; font-size: .8rem; }
button { font: inherit; padding: .25rem .7rem; border: 1px solid #bbb; border-radius: 6px; background: #fff; cursor: pointer; }
button:hover { background: #eef2ff; }
.row { display: flex; gap: .5rem; align-items: center; flex-wrap: wrap; margin: .4rem 0; }
.meter { height: 10px; background: #eee; border-radius: 5px; overflow: hidden; flex: 1; min-width: 120px; }
.meter > div { height: 100%; background: var(--ok); }
svg text { font: 10px system-ui, sans-serif; fill: var(--muted); }
#breaker-strip { display: block; width: 100%; height: 42px; margin: .4rem 0; }
`;

// Plain ES2020 sent as it is: no backtick, no `${` and no backslash in it, so this template literal is its text.
const SCRIPT = `
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var SVG = 'http://www.w3.org/2000/svg';
  var COLORS = { closed: '#2e7d32', 'half-open': '#ed6c02', open: '#c62828', isolated: '#6a1b9a' };
  var updates = 0;
  var lastRemaining = 10;
  var clear = function (node) { while (node.firstChild) node.removeChild(node.firstChild); };
  var el = function (tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  var time = function (ms) { return new Date(ms).toLocaleTimeString([], { hour12: false }); };
  var secs = function (ms) { return ms === null ? 'never' : (ms / 1000).toFixed(1) + ' s'; };
  var badge = function (node, text, cls) { node.textContent = text; node.className = 'badge ' + cls; };

  function drawStrip(transitions, now) {
    var svg = $('breaker-strip');
    clear(svg);
    var W = 600, H = 28, SPAN = 60000, from = now - SPAN;
    for (var i = 0; i < transitions.length; i++) {
      var start = Math.max(transitions[i].at, from);
      var end = i + 1 < transitions.length ? transitions[i + 1].at : now;
      if (end <= from) continue;
      var r = document.createElementNS(SVG, 'rect');
      r.setAttribute('x', String(((start - from) / SPAN) * W));
      r.setAttribute('y', '0');
      r.setAttribute('width', String(Math.max(1, ((end - start) / SPAN) * W)));
      r.setAttribute('height', String(H));
      r.setAttribute('fill', COLORS[transitions[i].to] || '#999');
      r.setAttribute('data-state', transitions[i].to);
      svg.appendChild(r);
    }
    [['-60 s', 0, 'start'], ['-30 s', W / 2, 'middle'], ['now', W, 'end']].forEach(function (t) {
      var tx = document.createElementNS(SVG, 'text');
      tx.setAttribute('x', String(t[1]));
      tx.setAttribute('y', String(H + 12));
      tx.setAttribute('text-anchor', t[2]);
      tx.textContent = t[0];
      svg.appendChild(tx);
    });
  }

  function renderBreaker(s) {
    var b = s.breaker;
    badge($('breaker-state'), b.state, 's-' + b.state);
    $('upstream-mode').textContent = s.upstream.mode;
    $('breaker-detail').textContent =
      'consecutive failures ' + b.consecutiveFailures +
      ' · failure rate ' + Math.round(b.failureRate * 100) + '%' +
      (b.state === 'open' ? ' · trial call in ' + secs(b.retryAfterMs) : '') +
      ' · ok ' + b.totals.successes + ', failed ' + b.totals.failures + ', rejected ' + b.totals.rejections;
    drawStrip(b.transitions, s.now);
    var list = $('transitions');
    clear(list);
    b.transitions.slice(-6).reverse().forEach(function (t) {
      list.appendChild(el('li', '', time(t.at) + '  ' + (t.from || 'start') + ' → ' + t.to + '  (' + t.reason + ')'));
    });
  }

  function renderCalls(calls) {
    var list = $('calls');
    clear(list);
    if (calls.length === 0) list.appendChild(el('li', 'muted', 'no call yet'));
    calls.forEach(function (c) {
      var li = el('li');
      li.setAttribute('data-outcome', c.outcome);
      li.setAttribute('data-attempts', String(c.attempts.length));
      li.appendChild(el('span', 'mono', time(c.at) + ' '));
      li.appendChild(el('span', 'badge s-' + (c.outcome === 'ok' ? 'pass' : 'fail'), c.outcome));
      li.appendChild(document.createTextNode(' '));
      c.attempts.forEach(function (a) {
        var d = el('span', 'dot a-' + a.outcome, String(a.n));
        d.title = 'attempt ' + a.n + ': ' + a.outcome + (a.error ? ' (' + a.error + ')' : '') + ', ' + a.ms + ' ms';
        li.appendChild(d);
      });
      li.appendChild(el('span', 'muted', ' ' + c.ms + ' ms' + (c.attempts.length > 1 ? ', ' + c.attempts.length + ' attempts' : '')));
      list.appendChild(li);
    });
  }

  function renderRate(r) {
    lastRemaining = r.remaining;
    $('rl-remaining').textContent = r.remaining + ' / ' + r.limit;
    $('rl-meter').style.width = Math.round((100 * r.remaining) / Math.max(1, r.limit)) + '%';
    $('rl-reset').textContent = r.resetMs > 0 ? 'full again in ' + secs(r.resetMs) : 'full';
    var dl = $('rl-peek');
    clear(dl);
    Object.keys(r.headers).forEach(function (k) { dl.appendChild(el('li', 'mono', k + ': ' + r.headers[k])); });
  }

  function renderReady(r) {
    badge($('ready-status'), r.status + ' (' + r.httpStatus + ')', 's-' + r.status);
    var body = $('checks');
    clear(body);
    r.checks.forEach(function (c) {
      var tr = el('tr');
      tr.setAttribute('data-check', c.name);
      tr.setAttribute('data-status', c.status);
      tr.appendChild(el('td', 'mono', c.name));
      var td = el('td');
      td.appendChild(el('span', 'badge s-' + c.status, c.status));
      tr.appendChild(td);
      tr.appendChild(el('td', '', c.observed || ''));
      tr.appendChild(el('td', 'muted', c.output || ''));
      body.appendChild(tr);
    });
  }

  function renderKeys(k, now) {
    $('primary-id').textContent = k.primaryId || 'none (decrypt-only)';
    $('next-rotation').textContent = k.nextRotationAt === null ? 'no age rotation'
      : 'next rotation by age in ' + secs(Math.max(0, k.nextRotationAt - now)) + ' (every ' + secs(k.rotateAfterMs) + ')';
    var keys = $('keys');
    clear(keys);
    k.keys.forEach(function (x) {
      var li = el('li');
      li.appendChild(el('span', 'mono', x.id + ' '));
      li.appendChild(el('span', 'badge s-' + x.state, x.state));
      li.appendChild(el('span', 'muted', ' created ' + time(x.createdAt)));
      keys.appendChild(li);
    });
    var rot = $('rotations');
    clear(rot);
    if (k.rotations.length === 0) rot.appendChild(el('li', 'muted', 'no rotation since the demo started'));
    k.rotations.forEach(function (r) {
      rot.appendChild(el('li', 'mono', time(r.at) + '  ' + (r.previous || '—') + ' → ' + r.primary + '  (' + r.reason + ')'));
    });
  }

  function poll() {
    fetch('/dashboard/state', { cache: 'no-store' })
      .then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      })
      .then(function (s) {
        renderBreaker(s);
        renderCalls(s.calls);
        renderRate(s.rateLimit);
        renderReady(s.readiness);
        renderKeys(s.keyring, s.now);
        updates++;
        document.body.setAttribute('data-updates', String(updates));
        $('conn').textContent = 'live · updated ' + time(s.now);
      })
      .catch(function (e) { $('conn').textContent = 'cannot reach the demo: ' + e.message; })
      .then(function () { setTimeout(poll, 1000); });
  }

  function showHeaders(res, label) {
    var list = $('rl-headers');
    clear(list);
    list.appendChild(el('li', 'muted', label + ' → ' + res.status));
    res.headers.forEach(function (v, k) {
      if (k.indexOf('ratelimit') === 0 || k === 'retry-after') list.appendChild(el('li', 'mono', k + ': ' + v));
    });
  }

  function callQuote() {
    if (!$('auto').checked) { setTimeout(callQuote, 2000); return; }
    fetch('/quote', { cache: 'no-store' })
      .then(function (res) {
        showHeaders(res, 'GET /quote');
        $('last-quote').textContent = 'last GET /quote: ' + res.status;
        return res.text();
      })
      .catch(function (e) { $('last-quote').textContent = 'GET /quote failed: ' + e.message; })
      .then(function () { setTimeout(callQuote, 2000); });
  }

  $('burst').addEventListener('click', function () {
    var n = Math.min(Math.max(lastRemaining + 5, 10), 500);
    var out = $('burst-result');
    out.textContent = 'sending ' + n + ' requests…';
    var sent = [];
    for (var i = 0; i < n; i++) sent.push(fetch('/dashboard/ping', { cache: 'no-store' }));
    Promise.all(sent).then(function (all) {
      var ok = 0, denied = 0, retryAfter = null, last429 = null;
      all.forEach(function (res) {
        if (res.status === 429) { denied++; last429 = res; if (retryAfter === null) retryAfter = res.headers.get('retry-after'); }
        else if (res.ok) ok++;
      });
      out.setAttribute('data-denied', String(denied));
      out.setAttribute('data-retry-after', retryAfter || '');
      out.textContent = 'sent ' + n + ': ' + ok + ' × 200, ' + denied + ' × 429' + (retryAfter ? ' · Retry-After: ' + retryAfter + ' s' : '');
      if (last429) showHeaders(last429, 'burst, a denied request');
    }).catch(function (e) { out.textContent = 'burst failed: ' + e.message; });
  });

  var admin = function (path, out) {
    fetch(path, { method: 'POST' })
      .then(function (res) { return res.json().then(function (j) { out.textContent = res.status + ' ' + JSON.stringify(j); }); })
      .catch(function (e) { out.textContent = 'failed: ' + e.message; });
  };
  Array.prototype.forEach.call(document.querySelectorAll('button[data-mode]'), function (b) {
    b.addEventListener('click', function () { admin('/admin/upstream?mode=' + b.getAttribute('data-mode'), $('admin-result')); });
  });
  $('rotate').addEventListener('click', function () { admin('/admin/rotate-key', $('rotate-result')); });

  poll();
  callQuote();
})();
`;

/** The dashboard's HTML, its script and style under `nonce`. */
export function dashboardPage(nonce: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@org demo · live</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body data-updates="0">
<header><h1>@org demo · live</h1>
<nav><a href="/notes">/notes</a><a href="/quote">/quote</a><a href="/metrics">/metrics</a><a href="/readyz?verbose">/readyz</a><a href="/health?verbose">/health</a><a href="/dashboard/state">/dashboard/state</a></nav>
<span id="conn">connecting…</span></header>
<main>
<section id="panel-breaker"><h2>Upstream circuit breaker <span id="breaker-state" class="badge">…</span></h2>
<div class="muted">upstream mode: <b id="upstream-mode">…</b> · <span id="breaker-detail"></span></div>
<svg id="breaker-strip" viewBox="-2 0 604 42" preserveAspectRatio="none" role="img" aria-label="breaker state over the last 60 seconds"></svg>
<ul class="plain mono" id="transitions"></ul>
<div class="row">upstream: <button data-mode="up">up</button><button data-mode="down">down</button><button data-mode="flaky">flaky</button><button data-mode="slow">slow</button> <span class="muted" id="admin-result"></span></div>
</section>
<section id="panel-calls"><h2>Retries: the last upstream calls</h2>
<div class="row"><label><input type="checkbox" id="auto" checked> call <code>/quote</code> every 2 s</label> <span class="muted" id="last-quote"></span></div>
<ul class="plain" id="calls"></ul>
<div class="muted">Each box is an attempt (green: answered, red: failed, grey: refused by the open circuit).</div>
</section>
<section id="panel-ratelimit"><h2>Your rate limit</h2>
<div class="row"><b id="rl-remaining">…</b> left <div class="meter"><div id="rl-meter"></div></div> <span class="muted" id="rl-reset"></span></div>
<div class="muted">What a response would carry now (peeked, not consumed):</div>
<ul class="plain" id="rl-peek"></ul>
<div class="row"><button id="burst">Send a burst</button> <span id="burst-result" class="muted"></span></div>
<div class="muted">Headers of the last response:</div>
<ul class="plain" id="rl-headers"></ul>
</section>
<section id="panel-ready"><h2>Readiness <span id="ready-status" class="badge">…</span></h2>
<table><thead><tr><th>check</th><th>status</th><th>observed</th><th>output</th></tr></thead><tbody id="checks"></tbody></table>
</section>
<section id="panel-keys"><h2>Keyring</h2>
<div>primary key: <b class="mono" id="primary-id">…</b></div>
<div class="muted" id="next-rotation"></div>
<ul class="plain" id="keys"></ul>
<div class="muted">Rotations:</div>
<ul class="plain" id="rotations"></ul>
<div class="row"><button id="rotate">Rotate now</button> <span class="muted" id="rotate-result"></span></div>
</section>
</main>
<script nonce="${nonce}">${SCRIPT}</script>
</body>
</html>`;
}
