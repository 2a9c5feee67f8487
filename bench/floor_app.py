"""The app as ``wsgi.py`` serves it, with one more page: an empty one for a signed-in
visitor (``base.html`` and nothing in it). ``signed_in`` measures it beside the real pages
as their ceiling: what the shell costs before a page does anything of its own (the user
loader, the session, the CSRF token, the hooks, the header and footer, gzip).
"""

from flask import render_template
from flask_login import login_required

from wsgi import app

EMPTY_PAGE = app.jinja_env.from_string(
    "{% extends 'base.html' %}{% block content %}<h1>{{ _('Akun') }}</h1>{% endblock %}"
)


@app.get("/__bench/empty")
@login_required
def empty_page() -> str:
    return render_template(EMPTY_PAGE)
