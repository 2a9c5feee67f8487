"""What signing in tells the layers above accounts, without accounts knowing them."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: someone signed in (sender: the ``User``; ``carried``: what their session held before,
#: which signing in clears); handlers write in the request's unit of work
signed_in = _signals.signal("signed-in")
