/* The questionnaire's safety net and conveniences. Everything works without it.
 * - every answer is also kept in localStorage (per target) until the questionnaire is handed in;
 * - a click or tap on an answer saves it and moves on; keyboard users move with the Next button, so arrow
 *   keys inside the radio group never jump to the next question;
 * - the final submission carries an id made once and kept in localStorage, is retried until the server
 *   answers, and a retry or a double tap can never make a second result (the server keys on the id).
 */
(function () {
  "use strict";
  var lastPointer = 0;
  document.addEventListener("pointerdown", function () { lastPointer = Date.now(); }, true);

  function store(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full or private */ } }
  function load(key, fallback) {
    try { var raw = localStorage.getItem(key); return raw ? JSON.parse(raw) : fallback; } catch (e) { return fallback; }
  }
  function answersKey(target) { return "rx-answers-" + target; }
  function clientKey(target) { return "rx-client-" + target; }

  function remember(input) {
    var form = input.form;
    if (!form || !form.dataset.target) return;
    var all = load(answersKey(form.dataset.target), {});
    var code = form.dataset.code;
    var item = input.dataset.item || form.dataset.item;
    all[code] = all[code] || {};
    all[code][item] = input.value;
    all._at = Date.now();
    store(answersKey(form.dataset.target), all);
  }

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form[data-target] input[type=radio], form[data-target] textarea")) return;
    remember(input);
    var form = input.form;
    if (form.hasAttribute("data-autoadvance") && input.type === "radio" && Date.now() - lastPointer < 1500) {
      setTimeout(function () { if (form.requestSubmit) form.requestSubmit(); }, 180);
    }
  });

  // After htmx swaps in the next question, put the screen reader and keyboard focus on it.
  document.addEventListener("htmx:afterSettle", function () {
    var legend = document.querySelector("#question legend");
    if (legend) { legend.setAttribute("tabindex", "-1"); legend.focus(); }
  });
  document.addEventListener("htmx:sendError", function () {
    var box = document.getElementById("offline");
    if (box) box.classList.remove("hidden");
  });

  // Forget answers a previous session left on a shared computer after a day.
  try {
    for (var i = localStorage.length - 1; i >= 0; i--) {
      var key = localStorage.key(i);
      if (key && key.indexOf("rx-answers-") === 0) {
        var kept = load(key, {});
        if (!kept._at || Date.now() - kept._at > 86400000) localStorage.removeItem(key);
      }
    }
  } catch (e) { /* no storage */ }

  function forget(target) {
    try { localStorage.removeItem(answersKey(target)); localStorage.removeItem(clientKey(target)); } catch (e) { /* ignore */ }
  }

  // htmx does not swap 4xx answers by default; ours carry a message for the student ("choose an answer").
  document.addEventListener("htmx:beforeSwap", function (event) {
    var code = event.detail.xhr.status;
    if (code === 400 || code === 403 || code === 410) { event.detail.shouldSwap = true; event.detail.isError = false; }
  });

  function bindSubmit(submitForm) {
    if (submitForm.dataset.bound) return;
    submitForm.dataset.bound = "1";
    var target = submitForm.dataset.target;
    var idField = submitForm.querySelector("input[name=client_id]");
    var kept = load(clientKey(target), null);
    if (kept) { idField.value = kept; } else { store(clientKey(target), idField.value); }
    var status = document.getElementById("submit-status");
    var button = submitForm.querySelector("button[type=submit]");
    var sending = false;

    submitForm.addEventListener("submit", function (event) {
      event.preventDefault();
      if (sending) return;  // a double tap sends once; the server would return the same result anyway
      sending = true;
      button.disabled = true;
      var answers = load(answersKey(target), {});
      delete answers._at;
      var payload = JSON.stringify({ client_id: idField.value, answers: answers });
      var token = submitForm.querySelector("input[name=csrfmiddlewaretoken]").value;
      var attempt = 0;
      function send() {
        attempt += 1;
        status.textContent = attempt === 1 ? status.dataset.sending : status.dataset.retrying;
        fetch(submitForm.action, {
          method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": token },
          body: payload
        }).then(function (response) {
          return response.json().then(function (data) { return { status: response.status, data: data }; },
                                      function () { return { status: response.status, data: null }; });
        }).then(function (reply) {
          if (reply.data && reply.data.ok) {
            forget(target);
            window.location.assign(reply.data.next);
          } else if (reply.status >= 500 || !reply.data) {
            retry();
          } else {
            sending = false;
            button.disabled = false;
            var problems = reply.data.problems && reply.data.problems.length ? " " + reply.data.problems.join("; ") : "";
            status.textContent = reply.data.error + problems;
            status.classList.add("error");
          }
        }, retry);
      }
      function retry() {
        var wait = Math.min(30000, 1000 * Math.pow(2, Math.min(attempt, 5)));
        status.textContent = status.dataset.offline;
        setTimeout(send, wait);
      }
      send();
    });
  }

  function init() {
    var done = document.querySelector("[data-forget-target]");
    if (done) forget(done.dataset.forgetTarget);
    var submitForm = document.getElementById("submit-form");
    if (submitForm) bindSubmit(submitForm);
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
  document.addEventListener("htmx:afterSettle", init);
})();
