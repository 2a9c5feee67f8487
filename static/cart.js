// "Masukkan keranjang" without leaving the product page: the answer shows in place, the
// cart link counts the new line, and one Back still returns to the search results.
// Without this script (or when the request fails) the form posts as usual.
"use strict";
document.addEventListener("submit", async (event) => {
  const form = event.target.closest("form.add-to-cart");
  const status = document.querySelector("[data-cart-status]");
  if (!form || !status || !window.fetch || !window.FormData) return;
  event.preventDefault();
  let answer;
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    answer = await response.json();
  } catch (failure) {
    form.submit();
    return;
  }
  status.textContent = answer.message + " ";
  status.className = "flash " + (answer.ok ? "flash-success" : "flash-error");
  if (answer.ok) {
    const link = document.createElement("a");
    link.href = answer.cart_url;
    link.textContent = status.dataset.cartLink;
    status.append(link);
    const cart = document.querySelector(".cart-link");
    if (cart && answer.cart_count) {
      cart.textContent = cart.textContent.replace(/\s*\(\d+\)$/, "") + " (" + answer.cart_count + ")";
    }
  }
  status.hidden = false;
});
