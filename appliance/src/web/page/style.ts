/** The page's base stylesheet; sections add their own rules (PageSection.style). */
export const BASE_STYLE = `
:root{--bg:#f5f6f8;--card:#fff;--ink:#1d2330;--muted:#5b6475;--line:#e2e5ea;--accent:#0a6cc2;
--ok:#1c7c3a;--okbg:#e3f4e8;--deg:#8a5a00;--degbg:#fdf1d8;--down:#a11b1b;--downbg:#fbe3e3;--off:#5b6475;--offbg:#eceef2}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{background:#14213d;color:#fff;padding:16px 20px}
header h1{margin:0;font-size:20px;font-weight:650}
header p{margin:4px 0 0;color:#c9d3e6;overflow-wrap:anywhere}
main{max-width:1040px;margin:0 auto;padding:20px 16px 40px}
main>section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:0 0 18px}
h2{font-size:18px;margin:0 0 4px}
h3{font-size:16px;margin:12px 0 6px}
.lead{color:var(--muted);margin:0 0 14px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:8px;border-top:1px solid var(--line);vertical-align:top}
th{font-weight:600;width:30%}
code,.value,.mono{font:14px/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;overflow-wrap:anywhere}
.value{background:#eef3fb;border:1px solid #d5e2f5;border-radius:6px;padding:3px 8px;display:inline-block;user-select:all}
.copy{margin-left:8px;font-size:12px;padding:3px 9px;border:1px solid var(--line);background:#fff;border-radius:6px;cursor:pointer;color:var(--accent)}
.copy:active{background:#eef3fb}
.note{color:var(--muted);font-size:13px;display:block;margin-top:3px}
.badge{display:inline-block;white-space:nowrap;min-width:74px;text-align:center;border-radius:999px;padding:1px 10px;font-size:13px;font-weight:600}
.ok{color:var(--ok);background:var(--okbg)}.degraded{color:var(--deg);background:var(--degbg)}
.down{color:var(--down);background:var(--downbg)}.disabled{color:var(--off);background:var(--offbg)}
.warn{background:var(--degbg);border:1px solid #f0d79c;border-radius:8px;padding:10px 12px;margin:10px 0 0}
.empty{color:var(--muted)}
footer{color:var(--muted);font-size:13px;text-align:center;overflow-wrap:anywhere}
#updated{color:var(--muted);font-size:13px}
@media (max-width:560px){main{padding:10px 8px}main>section{padding:14px 12px}
table.kv tr{display:block;border-top:1px solid var(--line);padding:6px 0}
table.kv th,table.kv td{display:block;width:auto;border:0;padding:2px 0}}
`;
