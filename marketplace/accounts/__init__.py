"""Users, roles, sign-up and sign-in."""
