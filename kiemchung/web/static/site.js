// The workbench's own script (a static file: the site's CSP allows no inline script).
// Menu: the groups open on hover or focus with a mouse (CSS); a click or tap opens one and closes the
// others; on a small screen the "Menu" button shows or hides the whole menu.
(function () {
  document.documentElement.classList.add("js");
  function closeGroups(except) {
    document.querySelectorAll("header.top .group.open").forEach(function (g) {
      if (g !== except) {
        g.classList.remove("open");
        g.querySelector(".gl").setAttribute("aria-expanded", "false");
      }
    });
  }
  document.addEventListener("click", function (ev) {
    var toggle = ev.target.closest(".menu-toggle");
    if (toggle) {
      var nav = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var label = ev.target.closest("header.top .gl");
    if (label) {
      var group = label.parentElement;
      var isOpen = group.classList.toggle("open");
      label.setAttribute("aria-expanded", isOpen ? "true" : "false");
      closeGroups(group);
      return;
    }
    if (!ev.target.closest("header.top nav")) closeGroups(null);
  });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") closeGroups(null);
  });
})();

// Forms marked "confirm" ask before they are sent (removing a source, for instance).
document.addEventListener("submit", function (ev) {
  var form = ev.target;
  if (form.classList && form.classList.contains("confirm")) {
    if (!window.confirm(form.getAttribute("data-confirm") || "?")) ev.preventDefault();
  }
});

// A report being generated: poll its job every second, show the stage, open the report when done.
(function () {
  var box = document.getElementById("report-progress");
  if (!box) return;
  var job = box.getAttribute("data-job");
  var stages = ["queued", "build", "html", "md", "pdf"];
  function poll() {
    fetch("/report-jobs/" + encodeURIComponent(job), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        box.querySelector(".stage").textContent = s.stage_label;
        box.querySelector(".elapsed").textContent = Math.round(s.elapsed);
        var bar = box.querySelector("progress");
        if (bar && stages.indexOf(s.stage) >= 0) bar.value = stages.indexOf(s.stage);
        if (s.status === "done" && s.url) { window.location.href = s.url; return; }
        if (s.status === "failed") { window.location.href = "/reports?job=" + encodeURIComponent(job); return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
