// The demo's consent banner: plain JavaScript, no dependency, works offline.
//
// It reads the categories and services from /cookies-policy.json and writes the visitor's
// choice to the `cookies_preferences` cookie, in the format tower-cookie-consent reads by
// default: percent-encoded JSON of booleans keyed by category id or service id, plus
// `timestamp` (milliseconds since the Unix epoch). Kept 6 months, SameSite=Lax, Path=/.
// After a choice the page reloads, so that the server sees it.
(function () {
  "use strict";

  var COOKIE = "cookies_preferences";
  var MAX_AGE = 183 * 24 * 3600; // six months, in seconds
  var policy = null;
  var root = null;

  function readChoice() {
    var pairs = document.cookie ? document.cookie.split(";") : [];
    for (var i = 0; i < pairs.length; i++) {
      var eq = pairs[i].indexOf("=");
      if (eq < 0 || pairs[i].slice(0, eq).trim() !== COOKIE) continue;
      try {
        var value = JSON.parse(decodeURIComponent(pairs[i].slice(eq + 1).trim()));
        if (value && typeof value === "object") return value;
      } catch (e) {
        // An unreadable choice is no choice.
      }
    }
    return null;
  }

  function writeChoice(choice) {
    choice.timestamp = Date.now();
    if (policy && typeof policy.revision === "number" && policy.revision > 0) {
      choice.revision = policy.revision;
    }
    var cookie = COOKIE + "=" + encodeURIComponent(JSON.stringify(choice)) +
      "; Max-Age=" + MAX_AGE + "; Path=/; SameSite=Lax";
    if (location.protocol === "https:") cookie += "; Secure";
    document.cookie = cookie;
    location.reload();
  }

  // The categories a visitor can switch, each with its services and their cookie-names.
  function optionalCategories() {
    return policy.categories.filter(function (c) { return c.consent_required; }).map(function (c) {
      var services = [];
      var byId = {};
      function add(id) {
        if (!id || byId[id]) return;
        byId[id] = { id: id, cookies: [] };
        services.push(byId[id]);
      }
      (c.services || []).forEach(function (s) { add(typeof s === "string" ? s : s && s.id); });
      (c.cookies || []).forEach(function (k) {
        add(k.service);
        if (k.service) byId[k.service].cookies.push(k.name + (k.match === "prefix" ? "*" : ""));
      });
      return { id: c.id, label: c.label || c.id, description: c.description || "", services: services };
    });
  }

  function choiceForAll(value) {
    var choice = {};
    optionalCategories().forEach(function (c) {
      choice[c.id] = value;
      c.services.forEach(function (s) { choice[s.id] = value; });
    });
    return choice;
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // A category box shows its services: checked when all are, indeterminate when some are.
  function syncCategory(box, list) {
    var services = list.querySelectorAll("input[data-service]");
    if (services.length === 0) return;
    var on = Array.prototype.filter.call(services, function (s) { return s.checked; }).length;
    box.checked = on === services.length;
    box.indeterminate = on > 0 && on < services.length;
  }

  function buildDetails(current) {
    var form = el("form", { id: "cc-details", hidden: "" });
    var necessary = policy.categories.filter(function (c) { return !c.consent_required; });
    necessary.forEach(function (c) {
      form.appendChild(el("fieldset", { class: "cc-category" }, [
        el("label", {}, [
          el("input", { type: "checkbox", checked: "", disabled: "", "data-category": c.id }),
          el("span", { text: " " + (c.label || c.id) + " (always on)" }),
        ]),
        el("p", { class: "cc-desc", text: c.description || "" }),
      ]));
    });
    optionalCategories().forEach(function (c) {
      var box = el("input", { type: "checkbox", "data-category": c.id });
      box.checked = current[c.id] === true;
      var list = el("ul", { class: "cc-services" });
      c.services.forEach(function (s) {
        var sbox = el("input", { type: "checkbox", "data-service": s.id, "data-parent": c.id });
        sbox.checked = typeof current[s.id] === "boolean" ? current[s.id] : current[c.id] === true;
        sbox.addEventListener("change", function () { syncCategory(box, list); });
        list.appendChild(el("li", {}, [
          el("label", {}, [sbox, el("span", { text: " " + s.id })]),
          el("small", { text: " " + s.cookies.join(", ") }),
        ]));
      });
      box.addEventListener("change", function () {
        box.indeterminate = false;
        list.querySelectorAll("input").forEach(function (s) { s.checked = box.checked; });
      });
      form.appendChild(el("fieldset", { class: "cc-category" }, [
        el("label", {}, [box, el("span", { text: " " + c.label })]),
        el("p", { class: "cc-desc", text: c.description }),
        c.services.length ? list : null,
      ]));
      syncCategory(box, list);
    });
    form.appendChild(el("div", { class: "cc-actions" }, [
      el("button", { type: "submit", id: "cc-save", class: "cc-primary", text: "Save my choices" }),
    ]));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var choice = {};
      form.querySelectorAll("input[data-category]:not([disabled])").forEach(function (b) {
        choice[b.dataset.category] = b.checked && !b.indeterminate;
      });
      form.querySelectorAll("input[data-service]").forEach(function (b) {
        choice[b.dataset.service] = b.checked;
      });
      writeChoice(choice);
    });
    return form;
  }

  function open() {
    if (!policy) return;
    if (root) root.remove();
    var details = buildDetails(readChoice() || {});
    var customise = el("button", { type: "button", id: "cc-customise", text: "Customise" });
    var reject = el("button", { type: "button", id: "cc-reject", class: "cc-primary", text: "Reject all" });
    var accept = el("button", { type: "button", id: "cc-accept", class: "cc-primary", text: "Accept all" });
    var policyLink = el("a", { href: "/cookies-policy", text: "cookie policy" });
    var text = el("p", {}, [
      document.createTextNode(
        "This portal uses strictly necessary cookies to work. With your consent it would " +
        "also use cookies for statistics, embedded content and advertising. You can change " +
        "your mind at any time with \u201cCookie settings\u201d at the bottom of every page. See the "),
      policyLink,
      document.createTextNode("."),
    ]);
    root = el("div", { id: "cc-banner", role: "dialog", "aria-labelledby": "cc-title", tabindex: "-1" }, [
      el("h2", { id: "cc-title", text: "Your choice about cookies" }),
      text,
      el("div", { class: "cc-actions" }, [reject, customise, accept]),
      details,
    ]);
    reject.addEventListener("click", function () { writeChoice(choiceForAll(false)); });
    accept.addEventListener("click", function () { writeChoice(choiceForAll(true)); });
    customise.addEventListener("click", function () {
      details.hidden = !details.hidden;
      customise.setAttribute("aria-expanded", String(!details.hidden));
    });
    document.body.appendChild(root);
    root.focus(); // the dialog, not one of its answers
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-cookie-settings]");
    if (link) {
      event.preventDefault();
      open();
    }
  });

  fetch("/cookies-policy.json", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (json) {
      policy = json;
      if (document.body.dataset.consent === "undecided") open();
      document.documentElement.dataset.ccReady = "true";
    })
    .catch(function () {
      document.documentElement.dataset.ccReady = "error";
    });
})();
