"""Cart, checkout, orders split per household, fulfilment and stock (next issue)."""
