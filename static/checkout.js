// The address lists filtered in place (province → kabupaten/kota → kecamatan → postal
// codes) and, on the checkout page, each household's shipping updated as the address is
// chosen, from the same functions the order is priced with. The summary's fingerprint is
// updated with it, so what the buyer confirms is what is charged. Without this script the
// form's own buttons send it back with the next list filled and the shipping counted.
"use strict";
(() => {
  const form = document.querySelector("form[data-places-url]");
  if (!form || !window.fetch || !window.URLSearchParams) return;
  const placesUrl = form.dataset.placesUrl;
  const shippingUrl = form.dataset.shippingUrl;
  const select = (name) => form.elements.namedItem(name);
  let asked = 0;
  let pending = null;

  form.querySelectorAll("[data-without-script]").forEach((element) => { element.hidden = true; });

  async function ask(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) throw new Error(String(response.status));
    return response.json();
  }

  function fill(list, places) {
    const placeholder = list.options[0];
    list.replaceChildren(placeholder);
    for (const place of places) list.add(new Option(place.name, place.code));
    list.value = "";
  }

  function offerPostalCodes(codes) {
    const datalist = form.querySelector("#postal-codes");
    const hint = form.querySelector("[data-postal-codes]");
    datalist.replaceChildren(...codes.map((code) => new Option(code, code)));
    hint.textContent = codes.length ? hint.dataset.label + " " + codes.join(", ") : "";
    const postal = select("postal_code");
    if (codes.length === 1 && !postal.value) postal.value = codes[0];
  }

  async function placeChosen(name) {
    const code = select(name).value;
    const below = { province: "city", city: "district" }[name];
    try {
      const answer = code ? await ask(placesUrl + encodeURIComponent(code)) : { places: [], postal_codes: [] };
      if (below) {
        fill(select(below), answer.places);
        if (below === "city") fill(select("district"), []);
        offerPostalCodes([]);
      } else {
        offerPostalCodes(answer.postal_codes);
      }
    } catch (failure) {
      return; // the "Hitung ongkir" button still works
    }
  }

  function setShipping(group, figures, delivery) {
    group.querySelector("[data-shipping] span:last-child").textContent = figures.shipping;
    let pickup = group.querySelector("[data-pickup]");
    if (!figures.can_pickup || delivery === "pickup") {
      if (pickup) pickup.remove();
      return;
    }
    if (pickup) return;
    pickup = document.createElement("div");
    pickup.className = "field check";
    pickup.dataset.pickup = "";
    const box = document.createElement("input");
    box.type = "checkbox";
    box.name = "pickup";
    box.id = "pickup-" + figures.seller;
    box.value = String(figures.seller);
    const label = document.createElement("label");
    label.htmlFor = box.id;
    label.textContent = group.dataset.pickupLabel;
    pickup.append(box, " ", label);
    group.append(pickup);
  }

  async function updateShipping() {
    if (!shippingUrl) return;
    const delivery = (form.querySelector("input[name=delivery]:checked") || {}).value || "";
    const query = new URLSearchParams({ province: select("province").value, city: select("city").value, delivery, postal_code: select("postal_code").value });
    form.querySelectorAll("input[name=pickup]:checked").forEach((box) => query.append("pickup", box.value));
    // the courier chosen per household (live rates): its price is the shipping charged
    form.querySelectorAll("input[name^='rate-']:checked").forEach((box) => query.append(box.name, box.value));
    const mine = ++asked;
    let answer;
    try {
      answer = await ask(shippingUrl + "?" + query);
    } catch (failure) {
      return;
    }
    if (mine !== asked) return; // a later choice was made meanwhile
    for (const figures of answer.groups) {
      const group = form.querySelector('[data-seller="' + figures.seller + '"]');
      if (group) setShipping(group, figures, delivery);
    }
    const [items, shipping, total] = form.querySelectorAll("[data-totals] dd");
    items.textContent = answer.items;
    shipping.textContent = answer.shipping;
    total.querySelector("strong").textContent = answer.total;
    select("summary").value = answer.summary;
    form.querySelector("[data-estimate]").hidden = Boolean(select("city").value);
  }

  form.addEventListener("change", (event) => {
    const name = event.target.name;
    const work = (async () => {
      if (["province", "city", "district"].includes(name)) await placeChosen(name);
      if (["province", "city", "delivery", "pickup"].includes(name) || name.startsWith("rate-")) await updateShipping();
    })();
    pending = work;
    work.finally(() => { if (pending === work) pending = null; });
  });
  // A tap on "Buat pesanan" while the figures are being updated waits for them, so the
  // summary sent is the one on the screen.
  form.addEventListener("submit", (event) => {
    if (!pending) return;
    event.preventDefault();
    const submitter = event.submitter;
    pending.then(() => form.requestSubmit(submitter));
  });
})();
