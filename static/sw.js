// The service worker of Web Push: show what the site sent, open its page when tapped.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {body: event.data.text()}; }
  event.waitUntil(self.registration.showNotification(data.title || "Pasar Oleh-Oleh Kaltara", {
    body: data.body || "", tag: data.tag, data: {url: data.url || "/akun/pemberitahuan"},
    icon: "/static/icon-192.png"
  }));
});
self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
