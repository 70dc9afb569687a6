"""MkDocs hooks of the documentation site (``hooks:`` in mkdocs.yml).

The docstrings cross-reference in Sphinx's roles (``:func:`simulate```,
``:class:`~simfunnel.analysis.result.Result```), which mkdocstrings leaves as text. This
hook shows each as the code it names: the last part of the dotted name when Sphinx
would have shortened it (``~``), else the whole name.
"""

from __future__ import annotations

import re
from typing import Any

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|obj|exc):<code>(~?)([^<]+)</code>")


def _shown(match: re.Match[str]) -> str:
    short, name = match.group(1), match.group(2)
    return f"<code>{name.rsplit('.', 1)[-1] if short else name}</code>"


def on_page_content(html: str, **kwargs: Any) -> str:
    return ROLE.sub(_shown, html)
