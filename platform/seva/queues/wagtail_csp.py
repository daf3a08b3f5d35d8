"""Wagtail's admin without inline script, so that the workspace runs under Seva's
Content-Security-Policy (no inline script or style without the response's nonce).

Wagtail 8 starts some widgets and panels with an inline <script> right after their markup:
the date and time pickers and the inline panels (templates, overridden in this app's
templates/wagtailadmin/), and every chooser (`BaseChooser.render`, Python, replaced below).
A form widget is rendered without the request, so it cannot carry the nonce. Each instead
renders a hidden marker naming the same call, and queues/static/queues/wagtail-init.js makes
the call for every marker on the page and every marker added later (an inline panel's new
row, a modal's form):

    <span hidden data-seva-init="SnippetChooser" data-seva-for="id_role"
          data-seva-options='{"modalUrl": "/admin/snippets/choose/org/role/"}'></span>

The script knows a fixed list of calls, so a marker cannot call anything else. It is loaded
on every admin page by this app's wagtailadmin/admin_base.html, with the nonce, which it
also gives to the <style> elements Draftail (the rich text editor) renders from script.
tests/config/test_csp.py reads every workspace page for inline code; the browser suite
hears every violation the browser reports.
"""

from __future__ import annotations

import json

from django.utils.html import format_html
from django.utils.safestring import SafeString
from wagtail.admin.widgets import BaseChooser
from wagtail.admin.widgets.workflows import AdminTaskChooser

_wagtail_render = BaseChooser.render


def init_marker(call: str, *, for_id: str = "", options: dict | None = None) -> SafeString:
    """The marker wagtail-init.js turns into `call(for_id, options)`."""
    return format_html(
        '<span hidden data-seva-init="{}" data-seva-for="{}" data-seva-options="{}"></span>',
        call,
        for_id,
        json.dumps(options or {}),
    )


def _chooser_render(self: BaseChooser, name, value, attrs=None, renderer=None) -> SafeString:
    """`BaseChooser.render` with the marker in place of its <script>. A chooser whose start
    is not the usual `new <js_constructor>(id, options)` keeps Wagtail's own render, so that
    tests/config/test_csp.py reports it rather than it silently not starting."""
    custom_start = type(self).render_js_init is not BaseChooser.render_js_init
    if custom_start and not isinstance(self, AdminTaskChooser):
        return _wagtail_render(self, name, value, attrs, renderer)
    try:
        id_ = attrs["id"]
    except (KeyError, TypeError) as exc:
        raise TypeError("BaseChooser cannot be rendered without an 'id' attribute") from exc
    value_data = self.get_value_data(value)
    widget_html = self.render_html(name, value_data, attrs)
    if isinstance(self, AdminTaskChooser):
        marker = init_marker("createTaskChooser", for_id=id_)
    else:
        options = self.get_js_init_options(id_, name, value_data)
        marker = init_marker(self.js_constructor, for_id=id_, options=options)
    return widget_html + marker  # both safe: Wagtail's rendered template and an escaped marker


def choosers_without_inline_script() -> None:
    """Called once, from QueuesConfig.ready."""
    BaseChooser.render = _chooser_render
