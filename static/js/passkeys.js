// Words for django-otp-webauthn's scripts, in the service's own voice (they call gettext), and the
// step after a passkey is added: back to "Your account", where the new passkey is listed.
(function () {
  "use strict";
  var words = {
    "An error occurred during registration.": "The passkey could not be added. Try again.",
    "An error occurred during verification.": "The passkey could not be checked. Try again, or enter a code instead.",
    "Finishing registration...": "Adding the passkey…",
    "Finishing verification...": "Checking the passkey…",
    "Register a Passkey": "Add a passkey",
    "Registering...": "Follow the steps your browser shows…",
    "Registration aborted or not allowed.": "The passkey was not added: it was cancelled or not allowed. Try again.",
    "Registration aborted.": "The passkey was not added: it was cancelled. Try again.",
    "Registration failed. A server error occurred.": "The passkey could not be added. Try again later.",
    "Registration failed. A technical problem occurred that prevents you from registering a Passkey for this site.":
      "This browser cannot add a passkey for this site. Use your authenticator app instead.",
    "Registration failed. An unknown error occurred.": "The passkey could not be added. Try again.",
    "Registration failed. The server was unable to verify this passkey.": "The passkey could not be checked, so it was not added. Try again.",
    "Registration failed. Unable to fetch registration options from server.":
      "The passkey could not be added. If more than 15 minutes have passed, confirm it is you again.",
    "Registration failed. You most likely already have a Passkey registered for this site.":
      "This passkey or security key is already added to your account.",
    "Registration successful!": "Passkey added.",
    "Verification aborted.": "Cancelled. Try again, or enter a code instead.",
    "Verification canceled or not allowed.": "Cancelled or not allowed. Try again, or enter a code instead.",
    "Verification failed. A server error occurred.": "The passkey could not be checked. Try again, or enter a code instead.",
    "Verification failed. An unknown error occurred.": "The passkey could not be checked. Try again, or enter a code instead.",
    "Verification failed. An unknown server error occurred.": "The passkey could not be checked. Try again, or enter a code instead.",
    "Verification failed. Could not retrieve parameters from the server.": "The passkey could not be checked. Try again, or enter a code instead.",
    "Verification successful!": "Passkey accepted.",
    "Verify with Passkey": "Use a passkey",
    "Verifying...": "Follow the steps your browser shows…"
  };
  window.gettext = function (text) {
    return Object.prototype.hasOwnProperty.call(words, text) ? words[text] : text;
  };
  document.addEventListener("otp_webauthn.register_complete", function () {
    var done = document.querySelector("[data-passkey-done]");
    if (done) {
      window.location.assign(done.getAttribute("data-passkey-done"));
    }
  });
})();
