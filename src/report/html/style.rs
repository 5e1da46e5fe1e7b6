//! The page's inline CSS: readable on screen, and on paper (`@media print`: A4, no page break
//! inside a table or a chart, colours kept).

pub const CSS: &str = "\
:root{--ink:#1f2328;--muted:#59636e;--line:#d0d7de;--warn:#9a3412;--warnbg:#fff7ed}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:var(--ink);margin:2em auto;max-width:72em;padding:0 1em}
h1{font-size:1.6em;margin:0 0 .2em}h2{font-size:1.3em;margin:1.6em 0 .3em;border-bottom:2px solid var(--line);padding-bottom:.2em}
h3{font-size:1em;margin:1.2em 0 .4em}
.sub{color:var(--muted);margin:0 0 1em}
.headline{font-size:1.15em;font-weight:600;margin:.4em 0 1em}
.cols{display:flex;flex-wrap:wrap;gap:0 2em;align-items:flex-start}
table{border-collapse:collapse;margin:0 0 1em;font-variant-numeric:tabular-nums}
td,th{border-bottom:1px solid var(--line);padding:.3em .7em;text-align:right;vertical-align:top;white-space:nowrap}
td:first-child,th:first-child{text-align:left}
th{font-weight:600;background:#f6f8fa}
caption{text-align:left;font-weight:600;padding:0 0 .3em}
.warn{background:var(--warnbg);border-left:4px solid var(--warn);color:var(--warn);padding:.5em .8em;margin:.6em 0;list-style:none}
.warn li{margin:.25em 0}.warn li::before{content:'\u{26a0}\u{fe0e} ';font-weight:600}
figure{margin:1em 0}figcaption{font-weight:600;margin-bottom:.3em}
svg.chart{display:block;width:100%;max-width:720px;height:auto}
svg .grid{stroke:#e5e7eb;stroke-width:1}svg .baseline{stroke:#57606a;stroke-width:1}
svg text{font-family:inherit;fill:#32383f}svg .tick{font-size:11px}svg .value{font-size:10px}
svg .axis-title,svg .legend{font-size:12px}
.note{color:var(--muted);font-size:.9em}
@page{size:A4;margin:14mm}
@media print{
body{margin:0;max-width:none;font-size:11pt;padding:0}
figure,table,.warn,.cols{break-inside:avoid}
h2,h3,figcaption{break-after:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
";
