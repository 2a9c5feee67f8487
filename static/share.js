// "Bagikan": the phone's own share sheet (Web Share API) when it has one. Without it, or
// without this script, the WhatsApp, Facebook and Telegram links and the link field below
// the button do the same job.
"use strict";
document.querySelectorAll("[data-share]").forEach((box) => {
  const button = box.querySelector("[data-share-button]");
  const field = box.querySelector("[data-share-url]");
  if (field) field.addEventListener("focus", () => field.select());
  if (!button || !navigator.share) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.share({ title: box.dataset.title, text: box.dataset.text, url: field.value });
    } catch (cancelled) {
      // The person closed the sheet: nothing to do, the links are still there.
    }
  });
});
const copyButtons = document.querySelectorAll("[data-share-copy]");
copyButtons.forEach((copy) => {
  if (!navigator.clipboard) return;
  copy.hidden = false;
  copy.addEventListener("click", async () => {
    const field = copy.closest("[data-share]").querySelector("[data-share-url]");
    try {
      await navigator.clipboard.writeText(field.value);
      copy.textContent = copy.dataset.done;
    } catch (refused) {
      field.select();
    }
  });
});
