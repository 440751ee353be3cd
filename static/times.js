/* Times in the reader's own time zone: every <time data-local> is written in UTC by the server
   (so it is right without JavaScript); here it is rewritten in the zone the browser reports,
   with the zone's name, and the UTC text kept as its title. */
(function () {
  "use strict";

  var OPTIONS = {
    "datetime": {day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"},
    "long": {day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"},
    "seconds": {day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"},
    "time": {hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"}
  };

  function start() {
    if (!window.Intl || !Intl.DateTimeFormat) { return; }
    var lang = document.documentElement.lang || undefined;
    var times = document.querySelectorAll("time[data-local]");
    for (var i = 0; i < times.length; i++) {
      var options = OPTIONS[times[i].getAttribute("data-local")];
      var when = new Date(times[i].getAttribute("datetime"));
      if (!options || isNaN(when.getTime())) { continue; }
      times[i].title = times[i].textContent;
      times[i].textContent = new Intl.DateTimeFormat(lang, options).format(when);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
