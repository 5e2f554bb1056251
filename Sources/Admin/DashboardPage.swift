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
        <section class="full"><h2>Requests by phase</h2>
        <table><thead><tr><th>phase</th><th class="n">since start</th><th class="n">last interval</th>\
        <th>share since start</th></tr></thead>
        <tbody id="phases"></tbody></table>
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
}
