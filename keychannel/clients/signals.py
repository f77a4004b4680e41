"""Signals of the clients app, for the apps above it (clients cannot import them).

``duplicate_confirmed`` (``principal``, ``client``, ``check``): a client was created although the duplicate
check found a match — sent inside the create transaction, so what a receiver writes commits or rolls back
with the client. The channel app opens a possible-duplicate case from it (docs/rules.md, "Watched duplicates").
"""

from django.dispatch import Signal

duplicate_confirmed = Signal()
