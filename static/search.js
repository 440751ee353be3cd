/* Search suggestions as you type. The search forms work without this; it only adds a list of
   titles under the box (an ARIA combobox: arrows move, Enter opens, Escape closes). */
(function () {
  "use strict";

  // the page's words for this script (static/words.js), English where none are given
  function message(key, english) {
    return window.helpdeskWords ? window.helpdeskWords(key, english) : english;
  }

  function counted(count) {
    var forms = message("search.count", {});
    var said = forms[String(count)] || forms.many;
    return said ? said.replace(/\d+/, String(count)) : count + (count === 1 ? " suggestion" : " suggestions");
  }

  function attach(input) {
    var url = input.getAttribute("data-suggest");
    var listId = input.id + "-suggestions";
    var list = document.createElement("ul");
    var status = document.createElement("p");
    var hits = [];
    var active = -1;
    var timer = null;
    var asked = 0;

    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", message("search.label", "Suggestions"));
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.parentNode.classList.add("has-suggestions");
    input.parentNode.insertBefore(list, input.nextSibling);
    input.parentNode.appendChild(status);

    function close() {
      list.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      var options = list.querySelectorAll("[role=option]");
      active = index;
      options.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", options[index].id);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(found) {
      hits = found;
      list.textContent = "";
      if (!hits.length) {
        close();
        status.textContent = message("search.none", "No suggestions");
        return;
      }
      hits.forEach(function (hit, i) {
        var option = document.createElement("li");
        var link = document.createElement("a");
        var kind = document.createElement("span");
        option.id = listId + "-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        link.href = hit.url;
        link.tabIndex = -1;
        link.textContent = hit.title;
        if (hit.kind === "flow") {
          link.rel = "nofollow";
        }
        kind.className = "suggestion-kind";
        kind.textContent = hit.kind === "flow"
          ? message("search.flow", "Guided diagnosis")
          : message("search.article", "Article");
        option.appendChild(link);
        option.appendChild(kind);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); /* keep focus in the box until the link is followed */
          window.location.assign(hit.url);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      active = -1;
      input.setAttribute("aria-expanded", "true");
      status.textContent = counted(hits.length);
    }

    function ask() {
      var query = input.value.trim();
      var ticket = ++asked;
      if (query.length < 2) {
        close();
        return;
      }
      fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && ticket === asked) {
            show(data.hits);
          }
        })
        .catch(close);
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(ask, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) {
        return;
      }
      if (event.key === "ArrowDown") {
        event.preventDefault();
        highlight((active + 1) % hits.length);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active <= 0 ? hits.length - 1 : active - 1);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.assign(hits[active].url);
      } else if (event.key === "Escape") {
        event.preventDefault(); /* close the list; a second Escape clears the box as usual */
        close();
      }
    });
    input.addEventListener("blur", close);
  }

  document.querySelectorAll("input[data-suggest]").forEach(attach);
})();
