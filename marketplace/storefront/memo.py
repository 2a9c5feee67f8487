"""The regions and categories the storefront keeps per catalogue version
(``marketplace.catalogmemo``), as plain values: names, slugs and links, nothing tied to a
database session."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.locales import current_locale


@dataclass(frozen=True, slots=True)
class RegionRef:
    slug: str
    name: str
    #: the product list of the region (the home page's chips)
    list_url: str = ""


@dataclass(frozen=True, slots=True)
class CategoryRef:
    slug: str
    name: str
    name_en: str
    position: int
    #: the product list of the category (the home page's chips)
    list_url: str = ""

    @property
    def label(self) -> str:
        """The name in the visitor's language (as ``Category.label``)."""
        locale = current_locale()
        return self.name_en if locale and locale.language == "en" else self.name
