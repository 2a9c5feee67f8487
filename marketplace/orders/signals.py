"""What the order lifecycle tells the layers above it, without knowing them.

A handler runs in the sender's transaction: what it writes commits with the move,
or neither does.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: a public order's household part reached the buyer (sender: the ``OrderPart``)
part_delivered = _signals.signal("part-delivered")

#: a buyer placed an order (sender: the ``Order``; ``referral``: the short reference of the
#: shared link the buyer came through, or None). Households count their shares' sales with it.
order_placed = _signals.signal("order-placed")
