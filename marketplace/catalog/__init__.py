"""Products, categories, regions, photos; public browsing and search."""
