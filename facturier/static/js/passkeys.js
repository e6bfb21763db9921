// Passkeys on the Sécurité page: django-otp-webauthn's script adds the passkey; the page then shows it in
// the list (and the recovery codes that come with a first one), as after any other change.
(function () {
  "use strict";
  document.addEventListener("otp_webauthn.register_complete", function () {
    window.location.reload();
  });
})();
