"""The one home of a product's stock, its daily production and the holds on them.

Every change goes through ``inventory.stock`` and moves the catalogue version in the
same transaction, so no cached public page shows stock that is no longer there.
``inventory.capacity`` is the arithmetic of what can be ready by a date.
"""
