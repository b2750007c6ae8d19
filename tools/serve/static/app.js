/* casevault serve — small progressive enhancements only; every page works
 * without this script. Loaded with defer from /static/app.js (no inline
 * script: the Content-Security-Policy forbids it).
 *  - buttons and forms with data-confirm="question" ask before submitting;
 *  - forms with data-upload show a progress bar while the file is sent. */
(function () {
  "use strict";

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var btn = ev.submitter || null;
    var q = (btn && btn.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (q && !window.confirm(q)) {
      ev.preventDefault();
      return;
    }
    if (form.hasAttribute("data-upload") && window.XMLHttpRequest && window.FormData) {
      upload(form, btn, ev);
    }
  });

  function upload(form, btn, ev) {
    ev.preventDefault();
    var data = new FormData(form);
    if (btn && btn.name) data.append(btn.name, btn.value);
    var bar = document.createElement("progress");
    bar.className = "upload-progress";
    bar.max = 100;
    bar.value = 0;
    var status = document.createElement("p");
    status.setAttribute("role", "status");
    status.textContent = "Envoi en cours…";
    form.appendChild(bar);
    form.appendChild(status);
    var buttons = form.querySelectorAll("button, input[type=submit]");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open((form.getAttribute("method") || "post").toUpperCase(), form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        bar.value = Math.round((e.loaded / e.total) * 100);
        status.textContent = "Envoi en cours… " + bar.value + " %";
      }
    });
    xhr.addEventListener("load", function () {
      /* After a redirect (to a job page, or back to a page with its
       * message) go there; an answer in place (an error) replaces the page. */
      var target = xhr.responseURL || "";
      if (xhr.status < 400 && target && target !== form.action) {
        window.location.assign(target);
      } else {
        document.open();
        document.write(xhr.responseText);
        document.close();
      }
    });
    xhr.addEventListener("error", function () {
      status.textContent = "L'envoi a échoué. Vérifiez la connexion et réessayez.";
      for (var i = 0; i < buttons.length; i++) buttons[i].disabled = false;
    });
    xhr.send(data);
  }
})();
