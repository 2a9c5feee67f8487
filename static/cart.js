// Two small conveniences; without this script (or when a request fails) the forms post as usual.
// - "Masukkan keranjang" without leaving the product page: the answer shows in place, the
//   cart link counts the new line, and one Back still returns to the search results.
// - In the cart, −, + and "Ubah" change a quantity in place: the cart the server renders
//   after the change replaces the page's content, and the pressed button keeps the focus.
"use strict";

async function post(form, submitter, accept) {
  const body = new FormData(form);
  if (submitter && submitter.name) body.append(submitter.name, submitter.value);
  return fetch(form.action, {
    method: "POST",
    body,
    headers: { Accept: accept },
    credentials: "same-origin",
  });
}

function showCount(count) {
  const cart = document.querySelector(".cart-link");
  if (cart && count !== undefined) {
    cart.textContent = cart.textContent.replace(/\s*\(\d+\)$/, "") + (count ? " (" + count + ")" : "");
  }
}

async function addToCart(form, submitter) {
  const status = document.querySelector("[data-cart-status]");
  if (!status) return form.submit();
  let answer;
  try {
    answer = await (await post(form, submitter, "application/json")).json();
  } catch (failure) {
    return form.submit();
  }
  status.textContent = answer.message + " ";
  status.className = "flash " + (answer.ok ? "flash-success" : "flash-error");
  if (answer.ok) {
    const link = document.createElement("a");
    link.href = answer.cart_url;
    link.textContent = status.dataset.cartLink;
    status.append(link);
    if (answer.cart_count) showCount(answer.cart_count);
  }
  status.hidden = false;
}

async function changeQuantity(form, submitter) {
  const main = document.querySelector("main");
  const focused = submitter && submitter.id;
  let page;
  try {
    const response = await post(form, null, "text/html");
    if (!response.ok || !response.redirected) throw new Error(response.status);
    page = new DOMParser().parseFromString(await response.text(), "text/html");
  } catch (failure) {
    return form.submit();
  }
  main.replaceChildren(...page.querySelector("main").childNodes);
  const cart = page.querySelector(".cart-link");
  if (cart) document.querySelector(".cart-link").textContent = cart.textContent;
  const again = focused && document.getElementById(focused);
  if (again && !again.disabled) again.focus();
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  const change = form.matches("form.add-to-cart")
    ? addToCart
    : form.matches("form.cart-change")
      ? changeQuantity
      : null;
  if (!change || !window.fetch || !window.FormData) return;
  event.preventDefault();
  change(form, event.submitter);
});
