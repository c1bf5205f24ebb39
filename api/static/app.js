// outreach web app: keyboard shortcuts, claim → source, inline edit. No inline scripts (strict CSP).
(function () {
  "use strict";

  function typing(event) {
    var el = event.target;
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  function toggleHelp(show) {
    var help = document.getElementById("help");
    if (!help) return;
    var hidden = help.classList.contains("hidden");
    if (show === undefined) show = hidden;
    help.classList.toggle("hidden", !show);
  }

  function submitForm(form) {
    if (!form) return;
    if (typeof form.requestSubmit === "function") form.requestSubmit(); else form.submit();
  }

  // --- queue ------------------------------------------------------------------------------
  function setupQueue() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.queue-row"));
    var index = rows.length ? 0 : -1;
    function select(i) {
      if (!rows.length) return;
      index = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach(function (row, n) { row.classList.toggle("selected", n === index); });
      rows[index].scrollIntoView({ block: "nearest" });
    }
    if (rows.length) select(0);
    rows.forEach(function (row, n) {
      row.addEventListener("click", function (event) {
        if (event.target.closest("a, button, form")) return;
        select(n);
      });
    });
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      var row = rows[index];
      switch (event.key) {
        case "j": select(index + 1); break;
        case "k": select(index - 1); break;
        case "o": case "Enter": if (row) window.location.href = row.dataset.href; break;
        case "a": if (row) submitForm(document.getElementById(row.dataset.approveForm)); break;
        case "e": if (row) window.location.href = row.dataset.href + "?edit=1"; break;
        case "r": if (row) window.location.href = row.dataset.href + "#reject"; break;
        case "g": if (row) window.location.href = row.dataset.href + "#regenerate"; break;
        case "?": toggleHelp(); break;
        case "Escape": toggleHelp(false); break;
        default: return;
      }
      event.preventDefault();
    });
  }

  // --- draft --------------------------------------------------------------------------------
  function showSource(claim) {
    var factId = claim.dataset.factId;
    var fact = document.getElementById("fact-" + factId);
    var text = document.getElementById("source-text");
    var link = document.getElementById("source-link");
    var hint = document.getElementById("source-hint");
    document.querySelectorAll(".fact.highlight, mark.claim.active").forEach(function (el) {
      el.classList.remove("highlight", "active");
    });
    claim.classList.add("active");
    if (hint) hint.classList.add("hidden");
    if (!fact) {
      text.textContent = "No source: this claim cites " + factId + ", which is not a fact of this company.";
      text.classList.add("missing");
      link.classList.add("hidden");
      return;
    }
    fact.classList.add("highlight");
    fact.scrollIntoView({ block: "nearest" });
    text.classList.remove("missing");
    text.textContent = fact.dataset.text;
    var url = fact.dataset.source || "";
    link.textContent = url;
    if (/^https?:\/\//i.test(url)) { link.setAttribute("href", url); } else { link.removeAttribute("href"); }
    link.classList.remove("hidden");
  }

  function setEditing(on) {
    var form = document.getElementById("edit-form");
    var view = document.getElementById("view");
    if (!form || !view) return;
    form.classList.toggle("hidden", !on);
    view.classList.toggle("hidden", on);
    if (on) document.getElementById("edit-body").focus();
  }

  function setupDraft() {
    document.querySelectorAll("mark.claim").forEach(function (claim) {
      claim.addEventListener("click", function () { showSource(claim); });
      claim.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); showSource(claim); }
      });
    });
    var toggle = document.getElementById("edit-toggle");
    if (toggle) toggle.addEventListener("click", function (event) { event.preventDefault(); setEditing(true); });
    var cancel = document.getElementById("edit-cancel");
    if (cancel) cancel.addEventListener("click", function (event) { event.preventDefault(); setEditing(false); });
    if (window.location.hash === "#reject" || window.location.hash === "#regenerate") {
      var field = document.getElementById(window.location.hash.slice(1));
      if (field) field.focus();
    }
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
      var editing = !document.getElementById("edit-form") ||
        !document.getElementById("edit-form").classList.contains("hidden");
      switch (event.key) {
        case "a": submitForm(document.getElementById(editing ? "edit-form" : "approve-form")); break;
        case "e": setEditing(true); break;
        case "r": var reason = document.getElementById("reject"); if (reason) reason.focus(); break;
        case "g": var instruction = document.getElementById("regenerate"); if (instruction) instruction.focus(); break;
        case "j": case "k": window.location.href = "/queue"; break;
        case "?": toggleHelp(); break;
        case "Escape": toggleHelp(false); setEditing(false); break;
        default: return;
      }
      event.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var page = document.body.dataset.page;
    if (page === "queue") setupQueue();
    else if (page === "draft") setupDraft();
    else document.addEventListener("keydown", function (event) {
      if (typing(event)) return;
      if (event.key === "?") toggleHelp();
      if (event.key === "Escape") toggleHelp(false);
    });
  });
})();
