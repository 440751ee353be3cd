/* Passkeys (WebAuthn): "Sign in with a passkey" and autofill of passkeys on the login page, and
   "Add a passkey" on the passkeys page. The server makes the options and checks every answer
   (web/passkeys.py); this only carries them between it and the browser. Without this script the
   pages say so and the password works as always. */
(function () {
  "use strict";

  // the page's words for this script (static/words.js), English where none are given
  function message(key, english) {
    return window.helpdeskWords ? window.helpdeskWords(key, english) : english;
  }

  function supported() {
    return !!(window.PublicKeyCredential && navigator.credentials && window.fetch);
  }

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return {type: item.type, id: toBytes(item.id), transports: item.transports};
    });
  }

  function creationOptions(json) {
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, {id: toBytes(json.user.id)});
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") { return credential.toJSON(); }
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: {clientDataJSON: toText(response.clientDataJSON)}
    };
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      if (response.userHandle) { json.response.userHandle = toText(response.userHandle); }
    }
    return json;
  }

  function post(url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token},
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        data.ok = response.ok;
        return data;
      });
    });
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function say(status, text, helpUrl) {
    if (!status) { return; }
    status.textContent = text;
    if (helpUrl) {
      var link = document.createElement("a");
      link.href = helpUrl;
      link.rel = "nofollow";
      link.textContent = message("passkey.help", "Help: my passkey doesn't work");
      status.appendChild(document.createTextNode(" "));
      status.appendChild(link);
    }
  }

  // NotAllowedError: cancelled, timed out, or no passkey for this site on this device
  function failed(error) {
    return error && (error.name === "NotAllowedError" || error.name === "TimeoutError");
  }

  function signIn(box) {
    var button = box.querySelector("[data-passkey-button]");
    var status = box.querySelector("[data-passkey-status]");
    var help = box.getAttribute("data-help-url");
    var next = document.querySelector("input[name=next]");
    var waiting = null;  // the autofill request, aborted when the button is used

    function finish(credential) {
      return post(box.getAttribute("data-finish-url"), csrfToken(), {
        credential: credentialJSON(credential),
        next: next ? next.value : ""
      }).then(function (answer) {
        if (answer.redirect) { window.location.assign(answer.redirect); return; }
        say(status, answer.error || message("passkey.refused", "That passkey didn't sign you in."), answer.help || help);
      });
    }

    // the button lists the passkeys of an address typed already (an authenticator without user
    // verification needs that); autofill asks for any passkey of this site
    function ask(mediation) {
      var email = document.getElementById("email");
      var typed = !mediation && email ? {email: email.value} : {};
      // the autofill request can be aborted from the start: a button pressed while its options
      // are still on the way stops it before it ever reaches the browser
      var controller = mediation ? new AbortController() : null;
      if (controller) { waiting = controller; }
      return post(box.getAttribute("data-options-url"), csrfToken(), typed).then(function (options) {
        if (controller && controller.signal.aborted) { return null; }  // the button took over
        if (!options.ok) { say(status, options.error || message("passkey.unavailable", "Passkeys can't be used right now."), help); return null; }
        delete options.ok;
        var request = {publicKey: requestOptions(options)};
        if (controller) {
          request.mediation = mediation;
          request.signal = controller.signal;
        }
        return navigator.credentials.get(request);
      });
    }

    button.hidden = false;
    var noScript = box.querySelector("[data-passkey-no-script]");
    if (noScript) { noScript.hidden = true; }
    var pressed = false;  // once the button is used, autofill never starts
    button.addEventListener("click", function () {
      pressed = true;
      if (waiting) { waiting.abort(); waiting = null; }
      say(status, message("passkey.waiting", "Waiting for your passkey\u2026"));
      ask(null).then(function (credential) {
        if (credential) { return finish(credential); }
      }).catch(function (error) {
        if (failed(error)) {
          say(status, message("passkey.cancelled-or-none", "The passkey sign-in was cancelled or timed out, or this device has no passkey for this site."), help);
        } else {
          say(status, message("passkey.browser-failed", "Your browser could not use a passkey here."), help);
        }
      });
    });
    // autofill: the browser offers its passkeys for this site on the email field
    if (PublicKeyCredential.isConditionalMediationAvailable) {
      PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
        if (!available || pressed) { return; }
        ask("conditional").then(function (credential) {
          if (credential) { say(status, message("passkey.checking", "Checking your passkey\u2026")); return finish(credential); }
        }).catch(function (error) {
          if (error && error.name === "AbortError") { return; }  // the button took over
          if (failed(error)) { say(status, message("passkey.cancelled", "The passkey sign-in was cancelled."), help); }
        });
      });
    }
  }

  function add(form) {
    var status = document.querySelector("[data-passkey-status]");
    var help = document.querySelector("a[href*='passkey-trouble']");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var token = form.querySelector("input[name=csrf_token]").value;
      say(status, message("passkey.prompts", "Follow your browser's prompts to make the passkey\u2026"));
      post(form.getAttribute("data-options-url"), token).then(function (options) {
        if (!options.ok) {
          if (options.redirect) { window.location.assign(options.redirect); return null; }
          say(status, options.error || message("passkey.add-unavailable", "A passkey can't be added right now."));
          return null;
        }
        delete options.ok;
        return navigator.credentials.create({publicKey: creationOptions(options)});
      }).then(function (credential) {
        if (!credential) { return; }
        return post(form.getAttribute("data-finish-url"), token, {credential: credentialJSON(credential)})
          .then(function (answer) {
            if (answer.redirect) { window.location.assign(answer.redirect); return; }
            say(status, answer.error || message("passkey.not-added", "The passkey could not be added."));
          });
      }).catch(function (error) {
        var text = failed(error)
          ? message("passkey.add-cancelled", "Adding the passkey was cancelled or timed out.")
          : message("passkey.no-make", "This browser could not make a passkey.");
        say(status, text, help ? help.getAttribute("href") : "");
      });
    });
  }

  function start() {
    var box = document.querySelector("[data-passkey-sign-in]");
    var form = document.querySelector("form[data-passkey-add]");
    if (!supported()) {
      var status = document.querySelector("[data-passkey-status]");
      if (box || form) { say(status, message("passkey.unsupported", "This browser can't use passkeys: sign in with your password instead.")); }
      return;
    }
    if (box) { signIn(box); }
    if (form) { add(form); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
