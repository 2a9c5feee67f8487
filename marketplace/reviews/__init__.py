"""Reviews of delivered products: one per order line, one reply, hidden when abusive."""
