/* Times in the reader's own time zone: every <time data-local> is written in UTC by the server
   (so it is right without JavaScript); here it is rewritten in the zone the browser reports,
   with the zone's name, and the UTC text kept as its title. The hidden time_zone fields of the
   forms that lead to a mail get the zone's name ("Europe/Madrid"), so the mail writes its times
   in it (the server checks the name; without this script they stay empty: UTC). */
(function () {
  "use strict";

  var OPTIONS = {
    "datetime": {day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"},
    "long": {day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"},
    "seconds": {day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"},
    "time": {hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"},
    "time_of_day": {hour: "2-digit", minute: "2-digit", timeZoneName: "short"}
  };

  function fillTimeZoneFields() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    if (!zone) { return; }
    var fields = document.querySelectorAll("input[type=hidden][name=time_zone]");
    for (var i = 0; i < fields.length; i++) {
      if (!fields[i].value) { fields[i].value = zone; }
    }
  }

  function start() {
    if (!window.Intl || !Intl.DateTimeFormat) { return; }
    fillTimeZoneFields();
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
