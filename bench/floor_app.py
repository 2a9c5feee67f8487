"""The app as ``wsgi.py`` serves it, with one more page: an empty one for a signed-in
visitor (``base.html`` and nothing in it). ``signed_in`` measures it beside the real pages
as their ceiling: what the shell costs before a page does anything of its own (the user
loader, the session, the CSRF token, the hooks, the header and footer, gzip).
"""

from bench.signed_in import add_empty_page
from wsgi import app

add_empty_page(app)
