"""Household shops (IRT): their public page now; listing management and earnings next."""
