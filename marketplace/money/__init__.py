"""Money back to the households: the append-only ledger and the commission."""
