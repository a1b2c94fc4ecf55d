"""A self-contained HTML page: inline CSS, figures as base64 PNG, no scripts or fonts fetched.

Only the standard library; every value is escaped. The page's one inline script marks on
``<body data-rendered="k/n">`` how many of its ``n`` figures decoded, for readers and for the
browser test.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from .figures import Figure, png_data_uri

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 72em; padding: 0 1.5em; color: #1d2330; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #d8dce6; padding-bottom: 0.2em; margin-top: 1.8em; }
.sub { color: #5a6275; margin-top: 0; }
table { border-collapse: collapse; width: 100%; font-size: 0.92em; }
th, td { border: 1px solid #d8dce6; padding: 0.35em 0.6em; text-align: left;
         vertical-align: top; }
th { background: #eef1f7; }
tr:nth-child(even) td { background: #fafbfd; }
td.value { font-family: ui-monospace, "DejaVu Sans Mono", monospace; white-space: nowrap; }
pre { background: #f4f6fa; border: 1px solid #d8dce6; padding: 0.8em; overflow-x: auto;
      font-size: 0.88em; }
.yes { color: #b3261e; font-weight: 600; } .no { color: #3b6e3b; } .unknown { color: #a86400; }
.skipped { color: #7a7f8c; font-style: italic; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; border: 1px solid #d8dce6; }
figcaption { color: #4a5163; font-size: 0.9em; margin-top: 0.3em; }
footer { margin-top: 3em; color: #7a7f8c; font-size: 0.85em; }
"""

CHECK_SCRIPT = """
window.addEventListener("load", function () {
  var imgs = document.querySelectorAll("img"), ok = 0;
  imgs.forEach(function (im) { if (im.complete && im.naturalWidth > 0) { ok += 1; } });
  document.body.setAttribute("data-rendered", ok + "/" + imgs.length);
  var s = document.getElementById("render-status");
  if (s) { s.textContent = ok + " of " + imgs.length + " figures rendered"; }
});
"""


def esc(value: Any) -> str:
    """Escaped text of any value.

    >>> esc("a < b & c")
    'a &lt; b &amp; c'
    """
    return html.escape(str(value))


def table(header: Sequence[str], rows: Sequence[Sequence[Any]], classes: Sequence[str] = ()) -> str:
    """An HTML table; ``classes[j]`` is the CSS class of column j's cells (values pre-escaped
    when the class is ``raw``).

    >>> table(["a"], [[1]])
    '<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>'
    """
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for r in rows:
        cells = []
        for j, v in enumerate(r):
            cls = classes[j] if j < len(classes) else ""
            if cls == "raw":
                cells.append(f"<td>{v}</td>")
            else:
                attr = f' class="{cls}"' if cls else ""
                cells.append(f"<td{attr}>{esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def verdict_span(verdict: str) -> str:
    """A coloured verdict (``yes`` / ``no`` / ``unknown``)."""
    cls = verdict if verdict in ("yes", "no", "unknown") else ""
    return f'<span class="{cls}">{esc(verdict)}</span>'


def figure(fig: Figure) -> str:
    return (
        f'<figure id="figure-{esc(fig.name)}"><img alt="{esc(fig.name)} figure" '
        f'src="{png_data_uri(fig.png)}"><figcaption>{esc(fig.caption)}</figcaption></figure>'
    )


def section(ident: str, title: str, body: str) -> str:
    return (
        f'<section id="{esc(ident)}" data-section="{esc(ident)}">'
        f"<h2>{esc(title)}</h2>{body}</section>"
    )


def page(title: str, subtitle: str, sections: Sequence[str], footer: str) -> str:
    """The whole document."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head>\n<body>"
        f'<h1>{esc(title)}</h1><p class="sub">{esc(subtitle)}</p>\n'
        + "\n".join(sections)
        + f'\n<footer><span id="render-status"></span><br>{esc(footer)}</footer>'
        + f"<script>{CHECK_SCRIPT}</script></body></html>\n"
    )
