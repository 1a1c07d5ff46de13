// SPDX-License-Identifier: MIT
// raccord's self-check page (docs/selfcheck.md): inline validation of the
// form (the SIRET as INSEE checks it, the URLs) and live progress.  The
// server checks everything again; without JavaScript the page works the
// same (a refresh every 2 seconds while the check runs).
(function () {
  "use strict";

  // Luhn over the digits of s.
  function luhn(s) {
    var sum = 0;
    for (var i = 0; i < s.length; i++) {
      var d = s.charCodeAt(s.length - 1 - i) - 48;
      if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
    }
    return sum % 10 === 0;
  }

  // The rule of common/ident.c (rc_siret_valid), in French; "" when valid.
  function siretError(s) {
    if (s === "") return "Indiquez le SIRET de la collectivité.";
    if (!/^[0-9]+$/.test(s)) return "Le SIRET ne contient que des chiffres (14).";
    if (s.length !== 14) return "Le SIRET compte exactement 14 chiffres.";
    if (s.slice(0, 9) === "000000000" || s.slice(0, 8) === "00000000")
      return "Les 9 premiers chiffres (le SIREN) ne forment pas un SIREN valide : vérifiez le numéro.";
    if (!luhn(s.slice(0, 9)))
      return "Les 9 premiers chiffres (le SIREN) ne forment pas un SIREN valide : vérifiez le numéro.";
    if (s.slice(0, 9) === "356000000") {
      if (s === "35600000000048") return "";
      var sum = 0;
      for (var i = 0; i < 14; i++) sum += s.charCodeAt(i) - 48;
      return sum % 5 === 0 ? "" :
        "Ce SIRET d'un établissement de La Poste ne respecte pas sa règle de contrôle (somme des chiffres multiple de 5) : vérifiez-le.";
    }
    return luhn(s) ? "" :
      "La clé de contrôle de ce SIRET (formule de Luhn) ne correspond pas : un chiffre est probablement erroné.";
  }

  function urlError(v, optional) {
    if (v === "") return optional ? "" : "Ce champ est obligatoire.";
    var u;
    try { u = new URL(v); } catch (e) { u = null; }
    if (u === null || (u.protocol !== "https:" && u.protocol !== "http:") || u.hostname === "")
      return "Indiquez une adresse web complète, commençant par https:// (exemple : https://www.mairie-exemple.fr/connexion).";
    return "";
  }

  function setError(input, msg) {
    var group = input.parentNode;
    var id = input.id + "-error";
    var p = document.getElementById(id);
    var isSelect = input.tagName === "SELECT";
    var gcls = isSelect ? "fr-select-group--error" : "fr-input-group--error";
    var icls = isSelect ? "fr-select--error" : "fr-input--error";
    if (msg === "") {
      if (p) p.parentNode.removeChild(p);
      group.classList.remove(gcls);
      input.classList.remove(icls);
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
      return;
    }
    if (!p) {
      p = document.createElement("p");
      p.id = id;
      p.className = "fr-error-text";
      group.appendChild(p);
    }
    p.textContent = msg;
    group.classList.add(gcls);
    input.classList.add(icls);
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
  }

  function validate(input) {
    var v = input.value.trim();
    var msg = "";
    if (input.id === "siret") msg = siretError(v.replace(/ /g, ""));
    else if (input.id === "login_url" || input.id === "redirect_uri") msg = urlError(v, false);
    else if (input.id === "button_page_url") msg = urlError(v, true);
    else if (input.id === "client_id") msg = v === "" ? "Indiquez l'identifiant client fourni par FranceConnect." : "";
    setError(input, msg);
    return msg === "";
  }

  var form = document.getElementById("selfcheck-form");
  if (form) {
    var ids = ["siret", "login_url", "client_id", "redirect_uri", "button_page_url"];
    ids.forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.addEventListener("blur", function () { if (el.value !== "") validate(el); });
    });
    form.addEventListener("submit", function (ev) {
      var first = null;
      ids.forEach(function (id) {
        var el = document.getElementById(id);
        if (el && !validate(el) && first === null) first = el;
      });
      if (first !== null) { ev.preventDefault(); first.focus(); }
    });
    var summary = document.getElementById("form-errors");
    if (summary) summary.focus();
  }

  // Live progress: poll the result's JSON, reload when the check ended.
  var progress = document.getElementById("progress");
  if (progress && progress.getAttribute("data-poll") && window.fetch) {
    var url = progress.getAttribute("data-poll");
    var tick = function () {
      fetch(url, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (j && j.state !== "queued" && j.state !== "running") window.location.reload();
          else setTimeout(tick, 1000);
        })
        .catch(function () { setTimeout(tick, 2000); });
    };
    setTimeout(tick, 1000);
  }
})();
