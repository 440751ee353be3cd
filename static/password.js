/* Password fields: a Show/Hide button on each (people are told to use one to check what they
   typed), and on a new password a strength hint as you type, from the same rules the server
   applies when the form is sent. The forms work without this. */
(function () {
  "use strict";

  var count = 0;

  // the page's words for this script (static/words.js), English where none are given
  function message(key, english) {
    return window.helpdeskWords ? window.helpdeskWords(key, english) : english;
  }

  function toggle(input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "show-password";
    button.textContent = message("password.show", "Show");
    button.setAttribute("aria-controls", input.id);
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", message("password.show-label", "Show password"));
    button.addEventListener("click", function () {
      var shown = input.type === "password";
      input.type = shown ? "text" : "password";
      button.textContent = shown ? message("password.hide", "Hide") : message("password.show", "Show");
      button.setAttribute("aria-pressed", shown ? "true" : "false");
      button.setAttribute(
        "aria-label",
        shown ? message("password.hide-label", "Hide password") : message("password.show-label", "Show password")
      );
      input.focus();
    });
    var row = document.createElement("div");
    row.className = "password-row";
    input.parentNode.insertBefore(row, input);
    row.appendChild(input);
    row.appendChild(button);
    // a password shown must not stay readable on the screen after the form is sent
    if (input.form) {
      input.form.addEventListener("submit", function () { input.type = "password"; });
    }
  }

  function strength(input, url) {
    var hint = document.createElement("p");
    var token = input.form && input.form.querySelector("input[name=csrf_token]");
    var timer = null;
    var asked = 0;
    count += 1;
    hint.id = input.id + "-strength";
    hint.className = "strength";
    hint.setAttribute("aria-live", "polite");
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + hint.id);
    input.parentNode.parentNode.appendChild(hint);

    function ask() {
      var mine = ++asked;
      if (!input.value) { hint.textContent = ""; hint.className = "strength"; return; }
      var body = new URLSearchParams();
      body.set("password", input.value);
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {"X-CSRFToken": token ? token.value : ""},
        body: body
      }).then(function (response) {
        return response.ok ? response.json() : null;
      }).then(function (found) {
        if (!found || mine !== asked) { return; }
        hint.textContent = found.ok ? message("password.strong", "Strong enough.") : found.problem;
        hint.className = "strength " + (found.ok ? "ok" : "weak");
      }).catch(function () { /* the server checks again when the form is sent */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 350);
    });
  }

  function start() {
    var url = document.documentElement.getAttribute("data-password-check");
    var inputs = document.querySelectorAll("input[type=password]");
    for (var i = 0; i < inputs.length; i++) {
      toggle(inputs[i]);
      if (url && inputs[i].getAttribute("autocomplete") === "new-password") {
        strength(inputs[i], url);
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
