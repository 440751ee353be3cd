/* The page's words for its scripts: templates/_script_messages.html renders them, in the page's
   language, as a JSON block that never runs; `helpdeskWords(key, english)` gives one of them, or
   the English where the page has none (an old cached page, a word not translated yet). Loaded
   before the scripts that use it (base.html). */
(function () {
  "use strict";

  var words = null;
  window.helpdeskWords = function (key, english) {
    if (words === null) {
      var block = document.getElementById("script-messages");
      try { words = block ? JSON.parse(block.textContent) : {}; } catch (error) { words = {}; }
    }
    return words[key] || english;
  };
}());
