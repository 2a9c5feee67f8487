/* Card payment with Stripe.js on the payment page (Stripe mode only). */
(function () {
  "use strict";
  var box = document.getElementById("card-payment");
  if (!box || typeof Stripe === "undefined") { return; }
  var stripe = Stripe(box.dataset.key);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var form = document.getElementById("card-form");
  var button = form.querySelector("button");
  var message = document.getElementById("card-error");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    message.textContent = "";
    stripe.confirmCardPayment(box.dataset.clientSecret, { payment_method: { card: card } })
      .then(function (result) {
        if (result.error) {
          message.textContent = result.error.message;
          button.disabled = false;
          return;
        }
        window.location.href = box.dataset.returnUrl + "?payment_intent=" +
          encodeURIComponent(result.paymentIntent.id);
      });
  });
}());
