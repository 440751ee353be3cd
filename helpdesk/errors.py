"""The one base of the domain's refusals, so every layer handles them the same way.

The style: a function returns a result (a dataclass whose `status` is an enum) when every
ending is an ordinary outcome the caller shows; it raises a subclass of `DomainError` when the
request can't be carried out as asked. `str(error)` is one plain sentence a page may show; the
data a caller branches on (when a lock ends, which answers a question takes, the current step)
are typed attributes. The HTTP layer turns any `DomainError` it did not handle into a 4xx page,
never a 500.

The sentence is marked for translation (Flask-Babel: `lazy_gettext` where the message is a
constant, `gettext` where it is made in a function), so `str(error)` is said in the language of
the request that shows it, and in English outside a request. Logs and audit entries keep English.
"""

from __future__ import annotations


class DomainError(Exception):
    """Something the domain refuses to do as asked (bad input, a stale page, a used link)."""

    http_status = 400  # what the HTTP layer answers when it has nothing more specific to say
