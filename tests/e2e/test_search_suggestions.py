"""A visitor types into the search box: suggestions by keyboard, corrections without JS."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

AMPLANG = re.compile(r"^Amplang ")


def test_suggestions_are_a_combobox_the_keyboard_drives(phone):
    phone.goto("/")
    box = phone.get_by_role("combobox", name="Cari oleh-oleh")
    expect(box).to_have_attribute("aria-expanded", "false")
    box.press_sequentially("ampl")
    suggestions = phone.get_by_role("listbox", name="Saran pencarian")
    expect(suggestions).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    options = suggestions.get_by_role("option")
    expect(options.first).to_contain_text(AMPLANG)
    expect(options.last).to_contain_text("Amplang Bu Siti")
    # Screen readers hear how many there are.
    expect(phone.locator("form.search [aria-live=polite]")).to_have_text(re.compile(r"^\d+ saran$"))

    box.press("ArrowDown")
    first = options.first
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    box.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(box).to_have_attribute("aria-expanded", "false")

    box.press("ArrowDown")
    expect(first).to_have_attribute("aria-selected", "true")
    name = first.locator("span").first.inner_text()
    box.press("Enter")
    expect(phone.get_by_role("heading", level=1)).to_have_text(name)


def test_without_javascript_a_typo_is_searched_and_corrected(open_phone):
    phone = open_phone("visitor", java_script_enabled=False)
    phone.goto("/")
    phone.get_by_role("searchbox", name="Cari oleh-oleh").fill("ampalng")
    phone.get_by_role("search").get_by_role("button").click()
    expect(phone.locator(".card-name").first).to_have_text(AMPLANG)
    correction = phone.locator(".correction")
    expect(correction).to_have_text("Maksud Anda: amplang?")
    correction.get_by_role("link", name="amplang").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Hasil untuk “amplang”")
    expect(phone.locator(".correction")).to_have_count(0)
