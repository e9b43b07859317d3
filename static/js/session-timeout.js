// The NHS.UK session timeout pattern: 2 minutes before the session ends, a dialog offers "Stay signed in".
// The server decides when a session ends (accounts/middleware.py); this only warns. When the time is up,
// the page reloads and the server shows the sign-in page with the reason.
(function () {
  "use strict";
  var dialog = document.getElementById("session-timeout");
  if (!dialog || typeof dialog.showModal !== "function") {
    return;
  }
  var secondsLeft = parseInt(dialog.getAttribute("data-seconds-left"), 10);
  var warnSeconds = parseInt(dialog.getAttribute("data-warn-seconds"), 10) || 120;
  if (isNaN(secondsLeft)) {
    return;
  }
  var countdown = dialog.querySelector("[data-countdown]");
  var form = dialog.querySelector("[data-stay-signed-in]");
  var endsAt = Date.now() + secondsLeft * 1000;
  var warnTimer = null;
  var tickTimer = null;

  function words(seconds) {
    if (seconds >= 60) {
      var minutes = Math.ceil(seconds / 60);
      return minutes + (minutes === 1 ? " minute" : " minutes");
    }
    return seconds + (seconds === 1 ? " second" : " seconds");
  }

  function tick() {
    var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    // Announce whole minutes only, so screen readers are not flooded every second.
    countdown.textContent = words(left >= 60 ? left : Math.ceil(left / 10) * 10 || left);
    if (left <= 0) {
      window.clearInterval(tickTimer);
      window.location.reload();
    }
  }

  function warn() {
    tick();
    dialog.showModal();
    tickTimer = window.setInterval(tick, 1000);
  }

  function schedule(seconds) {
    endsAt = Date.now() + seconds * 1000;
    window.clearTimeout(warnTimer);
    window.clearInterval(tickTimer);
    warnTimer = window.setTimeout(warn, Math.max(0, seconds - warnSeconds) * 1000);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
      redirect: "manual",
    }).then(function (response) {
      if (response.status === 204) {
        dialog.close();
        schedule(parseInt(dialog.getAttribute("data-full-seconds"), 10) || secondsLeft);
      } else {
        window.location.reload();
      }
    }, function () {
      window.location.reload();
    });
  });

  // Escape answers the question too: the person is there, so they stay signed in.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    form.requestSubmit();
  });

  schedule(secondsLeft);
})();
