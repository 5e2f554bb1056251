import Crypto
import Foundation

/// The operator dashboard served at `GET /` on the admin listener: one self-contained page (inline CSS and script,
/// no external fonts, scripts or images) that polls `/stats` every 2 s with the admin token.
///
/// The page holds no data itself. The token comes from a small form (or `?token=`, which the page removes from the
/// address bar at once) and stays in `sessionStorage`. Every value from `/stats` is written with `textContent`, and
/// the Content-Security-Policy allows exactly this script and this style (by hash) and requests to this origin.
enum DashboardPage {
    static let html: String = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <link rel="icon" href="data:,">
        <title>Reprise dashboard</title>
        <style>\(Self.style)</style>
        </head>
        <body>
        \(Self.body)
        <script>\(Self.script)</script>
        </body>
        </html>

        """

    /// Sent with the page: nothing may load from elsewhere, and the token in `?token=` never leaves as a referrer.
    static let headers: [(String, String)] = [
        (
            "content-security-policy",
            "default-src 'none'; script-src '\(Self.digest(Self.script))'; style-src '\(Self.digest(Self.style))'; "
                + "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
    ]

    private static func digest(_ text: String) -> String {
        "sha256-" + Data(SHA256.hash(data: Array(text.utf8))).base64EncodedString()
    }

    // MARK: - Style

    private static let style = """
        :root{--bg:#f6f7f9;--card:#fff;--ink:#1d2530;--muted:#5f6b7a;--line:#dde2e8;--accent:#1f6feb;--good:#1a7f37;\
        --warn:#bf8700;--bad:#cf222e}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);\
        color:var(--ink)}
        header{display:flex;align-items:baseline;gap:16px;padding:14px 24px;background:#17202b;color:#fff}
        header h1{margin:0;font-size:20px;font-weight:600}
        #status{color:#aeb8c4;font-size:13px}
        #status.error{color:#ff8b8b}
        main{padding:18px 24px;display:grid;grid-template-columns:repeat(12,1fr);gap:16px}
        section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px}
        h2{margin:0 0 10px;font-size:13px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;\
        color:var(--muted)}
        .wide{grid-column:span 8}.side{grid-column:span 4}.full{grid-column:span 12}.half{grid-column:span 6}
        .cards{grid-column:span 12;display:grid;grid-template-columns:repeat(6,1fr);gap:16px}
        .card .value{font-size:26px;font-weight:600;font-variant-numeric:tabular-nums}
        .card .label{color:var(--muted);font-size:12px}
        svg{width:100%;height:auto;display:block}
        .grid{stroke:var(--line);stroke-width:1}
        .axis{fill:var(--muted);font-size:11px}
        .series{fill:none;stroke:var(--accent);stroke-width:2;stroke-linejoin:round}
        .cumulative{fill:none;stroke:var(--good);stroke-width:1.5;stroke-dasharray:5 4}
        circle.series{fill:var(--accent)}circle.cumulative{fill:var(--good)}
        .legend{display:flex;gap:16px;color:var(--muted);font-size:12px;margin-top:6px}
        .swatch{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:5px}
        .swatch.series{background:var(--accent)}.swatch.cumulative{background:var(--good)}
        .bar{height:18px;background:#e8ecf0;border-radius:4px;overflow:hidden;margin:8px 0}
        .bar>div{height:100%;width:0;background:var(--accent);transition:width .3s}
        .bar>div.warn{background:var(--warn)}.bar>div.bad{background:var(--bad)}
        table{width:100%;border-collapse:collapse;font-variant-numeric:tabular-nums}
        th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line)}
        th{font-size:12px;color:var(--muted);font-weight:600}
        td.n,th.n{text-align:right}
        tfoot td{font-weight:600;border-bottom:none}
        .note{color:var(--muted);font-style:italic}
        dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;margin:10px 0 0}
        dt{color:var(--muted)}dd{margin:0;text-align:right;font-variant-numeric:tabular-nums}
        #login{max-width:420px;margin:60px auto;background:var(--card);border:1px solid var(--line);border-radius:8px;\
        padding:20px}
        #login input{width:100%;padding:8px;margin:8px 0;font:inherit;border:1px solid var(--line);border-radius:4px}
        #login button{padding:8px 14px;font:inherit;background:var(--accent);color:#fff;border:0;border-radius:4px}
        .hidden{display:none}
        @media (max-width:900px){.wide,.side,.half{grid-column:span 12}.cards{grid-template-columns:repeat(2,1fr)}}
        """

    // MARK: - Body

    private static let body = """
        <header><h1>Reprise</h1><span id="status">connecting…</span></header>
        <form id="login" class="hidden">
        <h2>Admin token</h2>
        <p id="login-message">The dashboard reads <code>/stats</code> with the admin token. \
        It is kept for this tab only.</p>
        <input id="token" type="password" autocomplete="off" placeholder="admin_token" required>
        <button type="submit">Show dashboard</button>
        </form>
        <main id="dashboard" class="hidden">
        <div class="cards">
        <section class="card"><div class="value" id="c-ratio">–</div>\
        <div class="label">hit ratio (all time)</div></section>
        <section class="card"><div class="value" id="c-requests">–</div><div class="label">requests</div></section>
        <section class="card"><div class="value" id="c-hits">–</div><div class="label">hits</div></section>
        <section class="card"><div class="value" id="c-forwarded">–</div><div class="label">forwarded</div></section>
        <section class="card"><div class="value" id="c-entries">–</div><div class="label">entries</div></section>
        <section class="card"><div class="value" id="c-evictions">–</div><div class="label">evictions</div></section>
        </div>
        <section class="wide"><h2>Hit ratio, last 5 minutes</h2>
        <svg id="chart" viewBox="0 0 640 220" role="img" aria-label="hit ratio over time"></svg>
        <div class="legend"><span><span class="swatch series"></span>per 2 s interval</span>\
        <span><span class="swatch cumulative"></span>since start</span></div>
        </section>
        <section class="side"><h2>Memory</h2>
        <div id="m-text">–</div>
        <div class="bar"><div id="m-bar"></div></div>
        <dl>
        <dt>entries</dt><dd id="m-entries">–</dd>
        <dt>evictions</dt><dd id="m-evictions">–</dd>
        <dt>stored (all time)</dt><dd id="m-stored">–</dd>
        <dt>coalesced requests</dt><dd id="m-coalesced">–</dd>
        <dt>upstream errors</dt><dd id="m-errors">–</dd>
        <dt>Redis (fleet L2)</dt><dd id="m-redis">–</dd>
        <dt>L2 hits · fleet purges in</dt><dd id="m-l2">–</dd>
        </dl>
        <h2>Disk</h2>
        <div id="d-text">not configured</div>
        <div class="bar"><div id="d-bar"></div></div>
        <dl>
        <dt>entries</dt><dd id="d-entries">–</dd>
        <dt>hits · misses</dt><dd id="d-hits">–</dd>
        <dt>evictions</dt><dd id="d-evictions">–</dd>
        <dt>corrupt files · I/O errors</dt><dd id="d-errors">–</dd>
        </dl>
        </section>
        <section class="half"><h2>Rules</h2>
        <table><thead><tr><th>rule</th><th class="n">calls avoided</th><th class="n">bytes from cache</th>\
        <th class="n">cost saved</th></tr></thead>
        <tbody id="rules"></tbody>
        <tfoot><tr><td>all routes</td><td class="n" id="r-hitratio" colspan="3">–</td></tr></tfoot></table>
        </section>
        <section class="half"><h2>Recent purges</h2>
        <table><thead><tr><th>time</th><th>cause</th><th class="n">dropped</th></tr></thead>
        <tbody id="purges"></tbody></table>
        </section>
        <section class="full"><h2>Spend per API key (top 10 by spend)</h2>
        <table><thead><tr><th>partition</th><th class="n">calls</th><th class="n">hits</th>\
        <th class="n">units billed</th><th class="n">units saved</th><th class="n">amount billed</th>\
        <th class="n">amount saved</th></tr></thead>
        <tbody id="ledger"></tbody></table>
        </section>
        <section class="full"><h2>Forwarded without a rule</h2>
        <table><thead><tr><th>route</th><th>upstream</th><th class="n">requests</th></tr></thead>
        <tbody id="unmatched"></tbody></table>
        </section>
        </main>
        """

    // MARK: - Script

    private static let script = """
        "use strict";
        (function () {
          var KEY = "reprise-admin-token", WINDOW = 300, PERIOD = 2000;
          var samples = [], previous = null, timer = null;
          function $(id) { return document.getElementById(id); }
          function text(id, value) { $(id).textContent = value; }
          function count(n) { return Number(n || 0).toLocaleString("en-US"); }
          function percent(r) { return (100 * r).toFixed(1) + " %"; }
          function bytes(n) {
            var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
            n = Number(n || 0);
            while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
            return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
          }

          var params = new URLSearchParams(location.search);
          if (params.has("token")) {
            sessionStorage.setItem(KEY, params.get("token"));
            history.replaceState(null, "", location.pathname);
          }

          function showLogin(message) {
            if (timer) { clearInterval(timer); timer = null; }
            if (message) { text("login-message", message); }
            $("login").classList.remove("hidden");
            $("dashboard").classList.add("hidden");
            text("status", "signed out");
          }
          $("login").addEventListener("submit", function (event) {
            event.preventDefault();
            sessionStorage.setItem(KEY, $("token").value);
            $("token").value = "";
            start();
          });

          function start() {
            $("login").classList.add("hidden");
            $("dashboard").classList.remove("hidden");
            poll();
            timer = setInterval(poll, PERIOD);
          }

          function poll() {
            var token = sessionStorage.getItem(KEY);
            if (!token) { showLogin(); return; }
            fetch("/stats", { headers: { "Authorization": "Bearer " + token }, cache: "no-store" })
              .then(function (response) {
                if (response.status === 401) {
                  sessionStorage.removeItem(KEY);
                  showLogin("That token was not accepted. Enter the admin_token from proxy.conf.");
                  return null;
                }
                if (!response.ok) { throw new Error("/stats answered " + response.status); }
                return response.json();
              })
              .then(function (stats) {
                if (!stats) { return; }
                render(stats);
                pollLedger(token);
                $("status").classList.remove("error");
                text("status", "updated " + new Date().toLocaleTimeString("en-GB"));
              })
              .catch(function (error) {
                // A poll that failed is a hole in the chart, not a line drawn across it.
                samples.push({ t: Date.now() / 1000, interval: null, cumulative: null });
                previous = null;
                $("status").classList.add("error");
                text("status", "cannot reach /stats: " + error.message);
              });
          }

          function pollLedger(token) {
            fetch("/partitions?limit=10", { headers: { "Authorization": "Bearer " + token }, cache: "no-store" })
              .then(function (response) { return response.ok ? response.json() : null; })
              .then(function (ledger) { if (ledger) { renderLedger(ledger); } })
              .catch(function () {});
          }

          function renderLedger(ledger) {
            var body = $("ledger"), rows = ledger.partitions || [];
            body.replaceChildren();
            rows.forEach(function (p) {
              var row = document.createElement("tr");
              cell(row, p.id === "-" ? "(no key)" : "…" + p.id);
              cell(row, count(p.calls), true);
              cell(row, count(p.hits), true);
              cell(row, count(p.units_billed), true);
              cell(row, count(p.units_saved), true);
              cell(row, p.amount_billed, true);
              cell(row, p.amount_saved, true);
              body.appendChild(row);
            });
            if (!rows.length) {
              var row = document.createElement("tr");
              cell(row, "no call on a costed rule yet (cost_header, cost_json, cost_last_event, cost_fixed)").className = "note";
              row.firstChild.colSpan = 7;
              body.appendChild(row);
            }
          }

          function render(s) {
            var now = Date.now() / 1000, interval = null;
            if (previous) {
              var hits = s.hits - previous.hits, forwarded = s.forwarded - previous.forwarded;
              if (hits + forwarded > 0) { interval = hits / (hits + forwarded); }
            }
            previous = s;
            samples.push({ t: now, interval: interval, cumulative: s.hit_ratio });
            while (samples.length && samples[0].t < now - WINDOW) { samples.shift(); }

            text("c-ratio", percent(s.hit_ratio));
            text("c-requests", count(s.requests));
            text("c-hits", count(s.hits));
            text("c-forwarded", count(s.forwarded));
            var memory = s.memory || {};
            text("c-entries", count(memory.entries));
            text("c-evictions", count(memory.evictions));
            renderMemory(s, memory);
            renderDisk(s.disk);
            renderRules(s);
            renderPurges(s.recent_purges);
            renderUnmatched(s.unmatched_routes);
            renderChart(now);
          }

          function renderMemory(s, memory) {
            var used = memory.bytes || 0, budget = memory.budget || 0;
            var share = budget > 0 ? Math.min(1, used / budget) : 0;
            text("m-text", bytes(used) + " of " + bytes(budget) + " (" + percent(share) + ")");
            var bar = $("m-bar");
            bar.style.width = (100 * share).toFixed(1) + "%";
            bar.className = share > 0.9 ? "bad" : (share > 0.75 ? "warn" : "");
            text("m-entries", count(memory.entries));
            text("m-evictions", count(memory.evictions));
            text("m-stored", count(s.stored));
            text("m-coalesced", count(s.coalesced));
            text("m-errors", count(s.upstream_errors));
            var redis = s.redis;
            text("m-redis", !redis ? "not configured" : (redis.state === "ok" ? "connected"
              : "degraded (" + (redis.last_error || "reconnecting") + ")"));
            text("m-l2", redis ? count(redis.l2_hits) + " · " + count(redis.purges_received) : "–");
          }

          function renderDisk(disk) {
            if (!disk) { return; }
            var used = disk.bytes || 0, budget = disk.budget || 0;
            var share = budget > 0 ? Math.min(1, used / budget) : 0;
            text("d-text", (disk.loading ? "reading its index… " : "") + bytes(used) + " of " + bytes(budget)
              + " (" + percent(share) + ")");
            var bar = $("d-bar");
            bar.style.width = (100 * share).toFixed(1) + "%";
            bar.className = share > 0.9 ? "bad" : (share > 0.75 ? "warn" : "");
            text("d-entries", count(disk.entries));
            text("d-hits", count(disk.hits) + " · " + count(disk.misses));
            text("d-evictions", count(disk.evictions));
            text("d-errors", count(disk.corrupt_files) + " · " + count(disk.io_errors));
          }

          function cell(row, value, numeric) {
            var td = document.createElement("td");
            td.textContent = value;
            if (numeric) { td.className = "n"; }
            row.appendChild(td);
            return td;
          }

          function renderRules(s) {
            var body = $("rules"), names = Object.keys(s.rules || {}).sort();
            body.replaceChildren();
            names.forEach(function (name) {
              var rule = s.rules[name], row = document.createElement("tr");
              cell(row, name || "(no rule)");
              cell(row, count(rule.calls_avoided), true);
              cell(row, bytes(rule.bytes_from_cache), true);
              cell(row, count(rule.cost_saved), true);
              body.appendChild(row);
            });
            if (!names.length) {
              var row = document.createElement("tr");
              cell(row, "no rule has served from the cache yet").className = "note";
              row.firstChild.colSpan = 4;
              body.appendChild(row);
            }
            text("r-hitratio", percent(s.hit_ratio) + " hits overall (" + count(s.hits) + " of "
              + count(s.hits + s.forwarded) + " cacheable lookups)");
          }

          function renderUnmatched(routes) {
            var body = $("unmatched"), row;
            body.replaceChildren();
            if (!Array.isArray(routes) || !routes.length) {
              row = document.createElement("tr");
              cell(row, "every forwarded request matched a rule").className = "note";
              row.firstChild.colSpan = 3;
              body.appendChild(row);
              return;
            }
            routes.forEach(function (route) {
              row = document.createElement("tr");
              cell(row, route.route);
              cell(row, route.upstream);
              cell(row, (route.approximate ? "≈ " : "") + count(route.requests), true);
              body.appendChild(row);
            });
          }

          function renderPurges(purges) {
            var body = $("purges");
            body.replaceChildren();
            var row;
            if (!Array.isArray(purges)) {
              row = document.createElement("tr");
              cell(row, "purge history not available").className = "note";
              row.firstChild.colSpan = 3;
              body.appendChild(row);
              return;
            }
            if (!purges.length) {
              row = document.createElement("tr");
              cell(row, "no purges since start").className = "note";
              row.firstChild.colSpan = 3;
              body.appendChild(row);
              return;
            }
            purges.forEach(function (purge) {
              row = document.createElement("tr");
              cell(row, new Date(purge.time * 1000).toLocaleTimeString("en-GB"));
              cell(row, purge.cause);
              cell(row, count(purge.dropped), true);
              body.appendChild(row);
            });
          }

          var NS = $("chart").namespaceURI, W = 640, H = 220, L = 44, R = 10, T = 10, B = 26;
          function svg(name, attributes, content) {
            var element = document.createElementNS(NS, name);
            Object.keys(attributes).forEach(function (key) { element.setAttribute(key, attributes[key]); });
            if (content !== undefined) { element.textContent = content; }
            return element;
          }
          function x(t, now) { return L + (W - L - R) * (1 - (now - t) / WINDOW); }
          function y(ratio) { return T + (H - T - B) * (1 - ratio); }
          function line(field, now) {
            var parts = [], run = [], last = null;
            samples.forEach(function (sample) {
              var value = sample[field];
              // No requests in the interval (or no answer from /stats, or a tab that slept past its polls): a gap,
              // never a line drawn through it as if the ratio had been known, and never 0 %.
              var late = last !== null && sample.t - last > 2.5 * PERIOD / 1000;
              last = sample.t;
              if (value === null || value === undefined || late) {
                if (run.length) { parts.push(run); run = []; }
                if (value === null || value === undefined) { return; }
              }
              run.push(x(sample.t, now).toFixed(1) + "," + y(value).toFixed(1));
            });
            if (run.length) { parts.push(run); }
            return parts;
          }
          function renderChart(now) {
            var chart = $("chart");
            chart.replaceChildren();
            [0, 0.25, 0.5, 0.75, 1].forEach(function (ratio) {
              chart.appendChild(svg("line", { x1: L, x2: W - R, y1: y(ratio), y2: y(ratio), "class": "grid" }));
              chart.appendChild(svg("text", { x: L - 6, y: y(ratio) + 4, "text-anchor": "end", "class": "axis" },
                (100 * ratio) + "%"));
            });
            [[WINDOW, "−5 min"], [WINDOW / 2, "−2.5 min"], [0, "now"]].forEach(function (tick) {
              chart.appendChild(svg("text", { x: x(now - tick[0], now), y: H - 6,
                "text-anchor": tick[0] === 0 ? "end" : (tick[0] === WINDOW ? "start" : "middle"), "class": "axis" },
                tick[1]));
            });
            [["cumulative", "cumulative"], ["interval", "series"]].forEach(function (series) {
              line(series[0], now).forEach(function (points) {
                if (points.length === 1) {
                  var xy = points[0].split(",");
                  chart.appendChild(svg("circle", { cx: xy[0], cy: xy[1], r: 2.5, "class": series[1] }));
                } else {
                  chart.appendChild(svg("polyline", { points: points.join(" "), "class": series[1] }));
                }
              });
            });
          }

          if (sessionStorage.getItem(KEY)) { start(); } else { showLogin(); }
        })();
        """
}
