// The live view: the server says when something changed (server-sent events); each region
// of the page marked data-live-region is fetched again and swapped in. The server renders
// and escapes everything; nothing here builds HTML from data.
(function () {
  "use strict";
  var stream = document.body.getAttribute("data-live-stream");
  if (!stream || !window.EventSource) { return; }
  var status = document.getElementById("live-status");
  var pending = null;
  var refreshing = false;

  function say(text) { if (status) { status.textContent = text; } }

  function refresh() {
    pending = null;
    if (refreshing) { pending = setTimeout(refresh, 100); return; }
    refreshing = true;
    fetch(window.location.href, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (region) {
          var replacement = fresh.getElementById(region.id);
          if (replacement) { region.replaceWith(document.importNode(replacement, true)); }
        });
        document.body.setAttribute("data-live-updated", String(Date.now()));
      })
      .catch(function () { say("Live view: update failed, retrying"); })
      .then(function () { refreshing = false; });
  }

  var source = new EventSource(stream);
  source.addEventListener("open", function () { say("Live view: on"); });
  source.addEventListener("error", function () { say("Live view: reconnecting…"); });
  source.addEventListener("change", function () {
    if (pending === null) { pending = setTimeout(refresh, 50); }
  });
})();
