"""One messaging seam: every message to a person goes through ``notify``.

Infrastructure: it imports no domain. The domains register their kinds of message
(``kinds.message_kind``) and call ``notify(Person.of(user), "kind", about=…, url=…, **context)``
where their events happen; the seam records the message once (the person's inbox), picks
the person's channels (e-mail through the mail outbox, WhatsApp through the Cloud API,
Web Push) and sends each by a job.
"""

from marketplace.notify import delivery  # noqa: F401 - registers job notify.deliver and its sweep
from marketplace.notify.kinds import Message, day, message_kind
from marketplace.notify.services import Person, notify

__all__ = ["Message", "Person", "day", "message_kind", "notify"]
