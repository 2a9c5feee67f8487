// Web Push on the channels page: register the service worker, ask the browser for a
// subscription with the site's VAPID key, and send it to the site. Without JavaScript
// the page still works; the inbox and e-mail do not need this.
(function () {
  var box = document.getElementById("push");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  var button = document.getElementById("push-on");
  var status = document.getElementById("push-status");
  function key(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.serviceWorker.register(box.dataset.sw).then(function (registration) {
      return registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: key(box.dataset.key)
      });
    }).then(function (subscription) {
      return fetch(box.dataset.subscribe, {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf},
        body: JSON.stringify(subscription.toJSON())
      });
    }).then(function (response) {
      status.textContent = response.ok ? button.dataset.done || "OK" : response.statusText;
    }).catch(function (error) { status.textContent = String(error); });
  });
})();
