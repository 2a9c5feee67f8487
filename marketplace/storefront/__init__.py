"""The public pages: home, list, search and product, composed of the catalogue, the
PKK's marks and buyers' reviews. The blueprint keeps the name ``catalog``."""
