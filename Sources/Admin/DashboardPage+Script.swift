/// The dashboard's script: polls `/stats` and `/partitions` with the token and draws the page.
extension DashboardPage {
    // MARK: - Script

    static let script = """
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
            renderPhases(s.phases, previous ? previous.phases : null);
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

          // Finished requests by phase (hit, miss, stale, stale-updating, revalidated, coalesced, bypass, pass, error,
          // aborted, local): all time, in the last poll interval, and each phase's share as a bar.
          function renderPhases(phases, before) {
            var body = $("phases"), row;
            body.replaceChildren();
            if (!phases) {
              row = document.createElement("tr");
              cell(row, "not counted: metrics and the access log are both off").className = "note";
              row.firstChild.colSpan = 4;
              body.appendChild(row);
              return;
            }
            var names = Object.keys(phases), total = 0;
            names.forEach(function (name) { total += phases[name] || 0; });
            names.forEach(function (name) {
              var n = phases[name] || 0;
              row = document.createElement("tr");
              cell(row, name);
              cell(row, count(n), true);
              cell(row, before ? count(n - (before[name] || 0)) : "–", true);
              var share = total > 0 ? n / total : 0;
              var td = document.createElement("td"), bar = document.createElement("div"), fill = document.createElement("div");
              bar.className = "bar";
              fill.style.width = (100 * share).toFixed(1) + "%";
              bar.appendChild(fill);
              td.appendChild(bar);
              td.title = percent(share);
              row.appendChild(td);
              body.appendChild(row);
            });
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
