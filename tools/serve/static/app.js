/* casevault serve — small progressive enhancements only; every page works
 * without this script. Loaded with defer from /static/app.js (no inline
 * script: the Content-Security-Policy forbids it). No library.
 *
 *  1. data-confirm="question" on a form or on its submit button: the browser
 *     asks the question and the form is sent only on "OK".
 *  2. data-upload on a form: the form is sent with XMLHttpRequest so that its
 *     <progress id="upload-progress"> (unhidden here) shows how much of the
 *     file has gone; the server's 303 (to /jobs/<id>) is then followed. On a
 *     network failure the form falls back to an ordinary submit. */
(function () {
  "use strict";

  if (!window.addEventListener || !document.querySelector) return;

  /* Forms sent by this script on purpose (the fallback): not intercepted. */
  var passThrough = typeof WeakSet === "function" ? new WeakSet() : null;
  /* The button last used, for browsers without SubmitEvent.submitter. */
  var lastButton = null;

  document.addEventListener("click", function (ev) {
    var t = ev.target;
    var b = t && t.closest ? t.closest("button, input[type=submit]") : null;
    lastButton = b && b.form ? b : null;
  }, true);

  function submitterOf(ev, form) {
    var b = ev.submitter || lastButton;
    return b && b.form === form ? b : null;
  }

  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form || form.nodeName !== "FORM") return;
    if (passThrough && passThrough.has(form)) {
      passThrough["delete"](form);
      return;
    }
    var btn = submitterOf(ev, form);
    lastButton = null;
    if (form.getAttribute("data-busy") === "1") { /* no double send */
      ev.preventDefault();
      return;
    }
    var q = (btn && btn.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (q && !window.confirm(q)) {
      ev.preventDefault();
      return;
    }
    if (form.hasAttribute("data-upload") && window.XMLHttpRequest && window.FormData) {
      ev.preventDefault();
      upload(form, btn);
    }
  });

  /* Back to a page left by an ordinary submit (back/forward cache): usable again. */
  window.addEventListener("pageshow", function (ev) {
    if (!ev.persisted) return;
    var busy = document.querySelectorAll("form[data-busy]");
    for (var i = 0; i < busy.length; i++) {
      setBusy(busy[i], false);
      var bar = busy[i].querySelector("progress#upload-progress");
      if (bar) bar.hidden = true;
      var st = busy[i].querySelector(".upload-status");
      if (st) st.textContent = "";
    }
  });

  function buttonsOf(form) {
    return form.querySelectorAll("button, input[type=submit]");
  }

  function setBusy(form, busy) {
    var buttons = buttonsOf(form);
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = busy;
    if (busy) {
      form.setAttribute("data-busy", "1");
      form.setAttribute("aria-busy", "true");
    } else {
      form.removeAttribute("data-busy");
      form.removeAttribute("aria-busy");
    }
  }

  /* The page's own bar if it has one (hidden until used), else a new one. */
  function progressOf(form) {
    var bar = form.querySelector("progress#upload-progress") || form.querySelector("progress");
    if (!bar) {
      bar = document.createElement("progress");
      bar.id = "upload-progress";
      var p = document.createElement("p");
      p.appendChild(bar);
      form.appendChild(p);
    }
    bar.max = 100;
    bar.value = 0;
    if (!bar.hasAttribute("aria-label") && !bar.hasAttribute("aria-labelledby"))
      bar.setAttribute("aria-label", "Envoi du fichier");
    bar.hidden = false;
    return bar;
  }

  /* A live region next to the bar, read by screen readers. */
  function statusOf(form, bar) {
    var s = form.querySelector(".upload-status");
    if (!s) {
      s = document.createElement("p");
      s.className = "upload-status";
      s.setAttribute("role", "status");
      s.setAttribute("aria-live", "polite");
      var host = bar.parentNode && bar.parentNode !== form ? bar.parentNode : bar;
      host.parentNode.insertBefore(s, host.nextSibling);
    }
    return s;
  }

  function sameUrl(a, b) {
    var x = document.createElement("a"), y = document.createElement("a");
    x.href = a;
    y.href = b;
    return x.href === y.href;
  }

  /* An answer given in place (an error page): show it as the browser would
   * have, without running anything from it (DOMParser runs no script). */
  function showAnswer(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    if (!doc || !doc.body) return false;
    document.title = doc.title;
    document.body.replaceWith(document.importNode(doc.body, true));
    var main = document.getElementById("contenu");
    if (main) {
      main.setAttribute("tabindex", "-1");
      main.focus();
    }
    return true;
  }

  /* The ordinary submit, the bar kept on in its indeterminate state (the
   * browser does not tell a page how much it has sent). */
  function nativeSubmit(form, btn, bar, status) {
    setBusy(form, false);
    bar.removeAttribute("value");
    bar.textContent = "envoi en cours";
    status.textContent = "Envoi en cours… Ne fermez pas cette page.";
    if (passThrough) passThrough.add(form);
    var sent = false;
    if (form.requestSubmit) {
      try {
        form.requestSubmit(btn && btn.form === form ? btn : undefined);
        sent = true;
      } catch (e) { /* below */ }
    }
    if (!sent) form.submit(); /* fires no submit event */
    /* Sent: its buttons off until the answer replaces the page. */
    window.setTimeout(function () { setBusy(form, true); }, 0);
  }

  /* A Content-Security-Policy without connect-src 'self' blocks the
   * XMLHttpRequest: remembered for the tab, so that later uploads go
   * straight to the ordinary submit. */
  var NO_XHR = "casevault-upload-xhr-blocked";
  function xhrBlocked() {
    try { return window.sessionStorage.getItem(NO_XHR) === "1"; } catch (e) { return false; }
  }
  document.addEventListener("securitypolicyviolation", function (ev) {
    var d = ev.effectiveDirective || ev.violatedDirective || "";
    if (d.indexOf("connect-src") === 0) {
      try { window.sessionStorage.setItem(NO_XHR, "1"); } catch (e) { /* private mode */ }
    }
  });

  function upload(form, btn) {
    var data = new FormData(form);
    if (btn && btn.name) data.append(btn.name, btn.value);
    var bar = progressOf(form);
    var status = statusOf(form, bar);
    var lastSaid = -1;
    status.textContent = "Envoi en cours…";
    setBusy(form, true);

    var fallen = false;
    function fallBack() {
      if (fallen) return;
      fallen = true;
      nativeSubmit(form, btn, bar, status);
    }
    if (xhrBlocked()) {
      fallBack();
      return;
    }

    var xhr = new XMLHttpRequest();
    xhr.open((form.getAttribute("method") || "post").toUpperCase(), form.action, true);
    xhr.upload.addEventListener("progress", function (e) {
      if (!e.lengthComputable || !e.total) {
        bar.removeAttribute("value"); /* indeterminate */
        return;
      }
      var pc = Math.min(100, Math.floor((e.loaded / e.total) * 100));
      bar.value = pc;
      bar.textContent = pc + " %";
      /* Say it every 10 % only, not at each event. */
      if (pc === 100 || pc - lastSaid >= 10) {
        lastSaid = pc;
        status.textContent = "Envoi en cours… " + pc + " %";
      }
    });
    xhr.upload.addEventListener("load", function () {
      bar.value = 100;
      status.textContent = "Fichier envoyé. Traitement par le serveur…";
    });
    xhr.addEventListener("load", function () {
      var target = xhr.responseURL || "";
      /* Redirected (303 to a job page, or back with a message): go there. */
      if (xhr.status >= 200 && xhr.status < 400 && target && !sameUrl(target, form.action)) {
        window.location.assign(target);
        return;
      }
      /* An answer in place, error or not: show it. */
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (type.indexOf("text/html") === 0 && xhr.responseText && showAnswer(xhr.responseText)) return;
      fallBack();
    });
    xhr.addEventListener("error", fallBack);
    xhr.addEventListener("abort", fallBack);
    xhr.addEventListener("timeout", fallBack);
    try {
      xhr.send(data);
    } catch (e) {
      fallBack();
    }
  }
})();
