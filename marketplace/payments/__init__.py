"""Payments: one gateway seam (Stripe or local test payments), webhooks, refunds."""
