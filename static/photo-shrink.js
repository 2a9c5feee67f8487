/* Shrink camera photos in the browser before they are sent, so a phone on 3G sends
 * about 300 KB instead of 4 MB. Progressive: without this script, or where a step
 * fails, the original file is sent and the server does all the work.
 *
 * Used on <input type="file" data-shrink="1280">: the number is the widest variant
 * the server keeps. Re-encoding through a canvas also drops EXIF (GPS) on the phone.
 */
(function () {
  "use strict";

  var QUALITY = 0.82;
  var WORTH_IT = 300 * 1024; // smaller files are sent as they are

  function supported() {
    return typeof DataTransfer === "function" && typeof createImageBitmap === "function" &&
      typeof HTMLCanvasElement.prototype.toBlob === "function";
  }

  function toBlob(canvas) {
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", QUALITY); });
  }

  async function shrink(file, maxWidth) {
    // Only camera formats; a PNG may carry transparency that JPEG would lose. HEIC decodes
    // only where the browser can (Safari); elsewhere the catch below sends the original.
    if (!/^image\/(jpeg|webp|heic|heif)$/.test(file.type) || file.size <= WORTH_IT) return file;
    var bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    var scale = Math.min(1, maxWidth / bitmap.width, (2 * maxWidth) / bitmap.height);
    var canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    var context = canvas.getContext("2d");
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    if (bitmap.close) bitmap.close();
    var blob = await toBlob(canvas);
    if (!blob || blob.size >= file.size) return file;
    var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
    return new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified });
  }

  function setBusy(input, busy) {
    var form = input.form;
    if (!form) return;
    form.setAttribute("aria-busy", busy ? "true" : "false");
    form.querySelectorAll("button[type=submit]").forEach(function (button) {
      button.disabled = busy;
    });
    var status = form.querySelector("[data-shrink-status]");
    if (status) status.hidden = !busy;
  }

  document.addEventListener("change", async function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-shrink")) return;
    // Too many photos at once (30 from the gallery): say so here instead of sending
    // 100 MB over a slow connection only for the server to refuse them.
    var maxFiles = parseInt(input.getAttribute("data-max-files"), 10);
    var tooMany = input.form && input.form.querySelector("[data-too-many]");
    if (tooMany) tooMany.hidden = true;
    if (maxFiles && input.files && input.files.length > maxFiles) {
      input.value = "";
      if (tooMany) tooMany.hidden = false;
      return;
    }
    if (!supported() || !input.files || !input.files.length) return;
    var maxWidth = parseInt(input.getAttribute("data-shrink"), 10) || 1280;
    setBusy(input, true);
    try {
      var originals = Array.prototype.slice.call(input.files);
      var files = await Promise.all(originals.map(function (file) {
        return shrink(file, maxWidth).catch(function () { return file; });
      }));
      var transfer = new DataTransfer();
      files.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files; // setting files fires no change event: no loop
      input.setAttribute("data-shrunk", "true");
    } catch (error) {
      // Keep whatever the person chose; the server checks and shrinks it anyway.
    } finally {
      setBusy(input, false);
    }
  });
})();
