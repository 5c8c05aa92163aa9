/* Upload with a progress bar and drag-and-drop; posts to the page endpoint with the CSRF token. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }  // plain form post still works
  var input = document.getElementById("file-input");
  var zone = document.getElementById("dropzone");
  var nameEl = document.getElementById("file-name");
  var box = document.getElementById("progress");
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");
  var button = document.getElementById("upload-button");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var en = document.documentElement.lang === "en";
  var dropped = null;

  function t(zh, english) { return en ? english : zh; }
  function mb(n) { return (n / 1048576).toFixed(1) + " MB"; }
  function chosen() { return dropped || (input.files && input.files[0]) || null; }
  function showName() { var f = chosen(); nameEl.textContent = f ? f.name + " (" + mb(f.size) + ")" : ""; }

  input.addEventListener("change", function () { dropped = null; showName(); });
  ["dragenter", "dragover"].forEach(function (ev) {
    zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (ev) {
    zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) { dropped = e.dataTransfer.files[0]; showName(); }
  });

  function errorMessage(xhr) {
    // Page errors come back as the HTML error page; take its message (as text, never as HTML).
    try {
      var doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
      var p = doc.querySelector(".message");
      if (p) { return p.textContent; }
    } catch (e) { /* fall through */ }
    return t("上传失败", "Upload failed") + " (HTTP " + xhr.status + ")";
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var file = chosen();
    if (!file) { text.textContent = t("请选择要上传的文件。", "Choose a file to upload."); return; }
    var limit = parseFloat(form.getAttribute("data-max-mb") || "0") * 1048576;
    if (limit && file.size > limit) { text.textContent = t("文件太大。", "The file is too large."); return; }
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("note", form.elements["note"].value);
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    box.hidden = false; bar.style.width = "0%"; button.disabled = true;
    xhr.upload.addEventListener("progress", function (ev) {
      if (ev.lengthComputable) {
        var pct = Math.round(100 * ev.loaded / ev.total);
        bar.style.width = pct + "%";
        box.setAttribute("data-percent", String(pct));
        text.textContent = pct + "% · " + mb(ev.loaded) + " / " + mb(ev.total);
      }
    });
    xhr.addEventListener("load", function () {
      button.disabled = false;
      if (xhr.status === 201) {
        bar.style.width = "100%"; box.setAttribute("data-percent", "100");
        text.textContent = t("上传完成，正在刷新…", "Uploaded, reloading…");
        var body = JSON.parse(xhr.responseText);
        window.location.assign(body.redirect);
      } else {
        text.textContent = errorMessage(xhr);
        text.classList.add("late-text");
      }
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      text.textContent = t("网络错误，上传未完成。", "Network error; the upload did not finish.");
    });
    text.classList.remove("late-text");
    xhr.send(data);
  });
})();
