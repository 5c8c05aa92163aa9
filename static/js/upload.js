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
  // 36 KB reads "36 KB", not "0.0 MB"
  function mb(n) {
    if (n < 1024) { return n + " B"; }
    if (n < 1048576) { return Math.max(1, Math.round(n / 1024)) + " KB"; }
    return (n / 1048576).toFixed(1) + " MB";
  }
  var sameRow = document.getElementById("same-ok-row");
  var sameBox = document.getElementById("same-ok");
  function chosen() { return dropped || (input.files && input.files[0]) || null; }
  function showName() { var f = chosen(); nameEl.textContent = f ? f.name + " (" + mb(f.size) + ")" : ""; }

  function failed(message) {
    // A failed upload must not look finished: empty, red bar and the reason.
    bar.style.width = "0%"; box.setAttribute("data-percent", "0"); box.classList.add("failed");
    text.textContent = message; text.classList.add("late-text");
  }
  function freshChoice() { if (sameRow) { sameRow.hidden = true; sameBox.checked = false; } }

  input.addEventListener("change", function () { dropped = null; freshChoice(); showName(); });
  ["dragenter", "dragover"].forEach(function (ev) {
    zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (ev) {
    zone.addEventListener(ev, function (e) { e.preventDefault(); zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (e) {
    if (e.dataTransfer && e.dataTransfer.files.length) { dropped = e.dataTransfer.files[0]; freshChoice(); showName(); }
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
    if (limit && file.size > limit) {
      var max = form.getAttribute("data-max-mb") + " MB";
      text.textContent = t("文件太大（" + mb(file.size) + "），单个文件最大 " + max + "。",
                           "The file is too large (" + mb(file.size) + "); files up to " + max + " each.");
      text.classList.add("late-text");
      return;
    }
    var data = new FormData();
    data.append("csrf_token", token);
    data.append("note", form.elements["note"].value);
    if (sameBox && sameBox.checked) { data.append("same_ok", "1"); }
    data.append("file", file, file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    box.hidden = false; box.classList.remove("failed"); bar.style.width = "0%"; button.disabled = true;
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
        failed(errorMessage(xhr));
        if (xhr.status === 409 && sameRow && /data-code="same_content"/.test(xhr.responseText)) {
          sameRow.hidden = false;  // same bytes as an earlier version: offer to upload anyway
        }
      }
    });
    xhr.addEventListener("error", function () {
      button.disabled = false;
      failed(t("网络错误，上传未完成。", "Network error; the upload did not finish."));
    });
    text.classList.remove("late-text");
    xhr.send(data);
  });
})();
