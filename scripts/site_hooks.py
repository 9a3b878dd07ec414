"""mkdocs hooks (mkdocs.yml): keep the site working offline and its notebook links pointing at pages.

* mkdocs-jupyter's notebook template imports mermaid from a CDN in a ``<script type="module">``,
  whether or not the notebook has a diagram. None of ours has one, and the site must not ask other
  hosts for anything, so the import is dropped.
* A notebook's markdown links to its neighbours as ``03_flask_app.ipynb``; mkdocs rewrites such links
  in Markdown pages only, so in notebook pages they are pointed at the rendered page here.
* Its MathJax loader has an empty ``src`` when no MathJax address is set (none of ours has formulas).
"""

from __future__ import annotations

import re

CDN_MODULE = re.compile(r'<script type="module">(?:(?!</script>).)*?https://cdnjs\.cloudflare\.com/.*?</script>', re.S)
# mkdocs-jupyter's MathJax loader, with no MathJax address configured: a script with an empty src
EMPTY_SCRIPT = re.compile(r'<script src="">\s*</script>')
NOTEBOOK_LINK = re.compile(r'href="(\d\d_[a-z_]+)\.ipynb(#[^"]*)?"')


def on_post_page(output: str, page, config) -> str:
    output = EMPTY_SCRIPT.sub("", CDN_MODULE.sub("", output))
    if page.file.src_uri.endswith(".ipynb"):
        output = NOTEBOOK_LINK.sub(lambda m: f'href="{m.group(1)}.html{m.group(2) or ""}"', output)
    return output
