// The design editor: tap to place the scale's two points, the hairline's
// points and the zone's corners on the photo; drag any point to move it;
// undo and redo; every change asks the server for a fresh simulation, and a
// slower, older answer never replaces a newer one.
(function () {
  "use strict";
  var form = document.getElementById("design-form");
  if (!form) return;
  var W = Number(form.dataset.width), H = Number(form.dataset.height);
  var svg = document.getElementById("overlay");
  var hint = document.getElementById("hint");
  var NS = "http://www.w3.org/2000/svg";
  var R = Math.max(W, H) / 110;
  svg.setAttribute("viewBox", "0 0 " + W + " " + H);
  svg.setAttribute("preserveAspectRatio", "none");

  var HINTS = {
    scale: "Tap two points whose distance you know (a ruler on the scalp), then type the distance in mm below.",
    hairline: "Tap along the hairline from left to right; drag a point to adjust it.",
    zone: "Tap the corners of the area to treat, around the scalp; drag a corner to adjust it.",
    glabella: "On a front photo, tap the point between the brows: the hairline's height above it is checked for the client's age.",
    skin: "Tap around a patch of bare scalp in good light: the skin's colour is read there instead of in the zones (when they still have hair or lie in shadow).",
    hair: "Tap around an area of the client's own short stubble (the sides or the back): its hairs are counted and measured, to match the design to them.",
    mask: "Where longer hair lies over the scalp, the pigment shows only between the strands. Propose a mask from the photo, then paint the hair it missed and erase what is not hair."
  };
  var field = function (name) { return form.elements.namedItem(name); };
  var parse = function (text) {
    return (text || "").trim().split(/\s+/).filter(Boolean).map(function (p) { return p.split(",").map(Number); });
  };
  var format = function (points) {
    return points.map(function (p) { return Math.round(p[0]) + "," + Math.round(p[1]); }).join(" ");
  };
  var state = {
    scale: parse(field("scale_from").value).concat(parse(field("scale_to").value)),
    hairline: parse(field("hairline").value),
    // Several zones, each with its own density; `current` is edited.
    zones: [parse(field("zone").value)].concat(
      field("extra_zones").value.split("|").filter(function (z) { return z.trim(); }).map(parse)),
    densities: [field("density").value].concat(
      field("extra_densities").value.split("|").filter(function (d) { return d.trim(); })),
    current: 0,
    glabella: parse(field("glabella").value),
    skin: parse(field("skin_region").value),
    hair: parse(field("hair_sample").value)
  };
  var densityInput = document.getElementById("zone-density");
  var zoneLabel = document.getElementById("zone-label");
  var params = Array.prototype.filter.call(form.elements, function (e) {
    return e.name && ["csrf", "scale_from", "scale_to", "hairline", "zone", "extra_zones", "density", "extra_densities", "glabella", "skin_region", "hair_sample", "hair_mask", "hair_mask_paint", "seed", "stage"].indexOf(e.name) < 0;
  });
  var mode = state.scale.length < 2 ? "scale" : (state.zones[0].length < 3 ? (state.hairline.length ? "zone" : "hairline") : "zone");

  function snapshot() {
    var values = {};
    params.forEach(function (e) { values[e.name] = e.value; });
    return JSON.stringify({ scale: state.scale, hairline: state.hairline, zones: state.zones, densities: state.densities,
      current: state.current, glabella: state.glabella, skin: state.skin, hair: state.hair, values: values,
      mask: field("hair_mask").value, paint: field("hair_mask_paint").value });
  }
  function restore(text) {
    var s = JSON.parse(text);
    state.scale = s.scale; state.hairline = s.hairline; state.zones = s.zones; state.densities = s.densities;
    state.current = s.current; state.glabella = s.glabella; state.skin = s.skin; state.hair = s.hair;
    params.forEach(function (e) { if (e.name in s.values) e.value = s.values[e.name]; });
    field("hair_mask").value = s.mask;
    field("hair_mask_paint").value = s.paint;
    mask.sync(true);
  }
  var remember = smpHistory(snapshot, restore, changed);
  var mask = smpMaskBrush({ form: form, photo: document.getElementById("photo"), view: document.getElementById("mask-view"),
    width: W, height: H, remember: remember, changed: function () { changed(); } });

  function write() {
    field("scale_from").value = state.scale[0] ? format([state.scale[0]]) : "";
    field("scale_to").value = state.scale[1] ? format([state.scale[1]]) : "";
    field("hairline").value = format(state.hairline);
    field("zone").value = format(state.zones[0]);
    field("extra_zones").value = state.zones.slice(1).map(format).join("|");
    field("density").value = state.densities[0];
    field("extra_densities").value = state.densities.slice(1).join("|");
    densityInput.value = state.densities[state.current];
    zoneLabel.textContent = state.zones.length > 1 ? " (zone " + (state.current + 1) + " of " + state.zones.length + ")" : "";
    field("glabella").value = format(state.glabella);
    field("skin_region").value = format(state.skin);
    field("hair_sample").value = format(state.hair);
  }

  function el(name, attrs) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    svg.appendChild(e);
    return e;
  }
  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var pts = function (list) { return list.map(function (p) { return p[0] + "," + p[1]; }).join(" "); };
    state.zones.forEach(function (zone, z) {
      if (!zone.length) return;
      el("polygon", { points: pts(zone), fill: "rgba(60,180,120,0.18)", stroke: "#2fa56a",
        "stroke-width": z === state.current ? R / 2 : R / 5 });
    });
    if (state.skin.length) {
      el("polygon", { points: pts(state.skin), fill: "rgba(240,140,40,0.15)", stroke: "#e07b1a",
        "stroke-width": R / 4, "stroke-dasharray": R / 2 + " " + R / 3 });
    }
    if (state.hair.length) {
      el("polygon", { points: pts(state.hair), fill: "rgba(138,92,214,0.15)", stroke: "#8a5cd6",
        "stroke-width": R / 4, "stroke-dasharray": R / 2 + " " + R / 3 });
    }
    if (state.hairline.length) {
      el("polyline", { points: pts(state.hairline), fill: "none", stroke: "#19b5d8", "stroke-width": R / 2.5 });
    }
    if (state.scale.length === 2) {
      el("line", { x1: state.scale[0][0], y1: state.scale[0][1], x2: state.scale[1][0], y2: state.scale[1][1],
        stroke: "#f0b429", "stroke-width": R / 3, "stroke-dasharray": R + " " + R / 2 });
    }
    var handle = function (p, kind, colour, i, zone) {
      var c = el("circle", { cx: p[0], cy: p[1], r: R, fill: colour, stroke: "#fff", "stroke-width": R / 4 });
      c.dataset.kind = kind;
      c.dataset.index = i;
      c.dataset.zone = zone;
      c.style.cursor = "grab";
    };
    state.zones.forEach(function (zone, z) { zone.forEach(function (p, i) { handle(p, "zone", "#2fa56a", i, z); }); });
    [["hairline", "#19b5d8"], ["scale", "#f0b429"], ["glabella", "#d64f8a"], ["skin", "#e07b1a"], ["hair", "#8a5cd6"]].forEach(function (kind) {
      state[kind[0]].forEach(function (p, i) { handle(p, kind[0], kind[1], i, 0); });
    });
  }

  function toPhoto(event) {
    var box = svg.getBoundingClientRect();
    return [Math.min(W, Math.max(0, (event.clientX - box.left) / box.width * W)),
            Math.min(H, Math.max(0, (event.clientY - box.top) / box.height * H))];
  }
  var dragging = null;
  svg.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    svg.setPointerCapture(event.pointerId);
    remember();
    if (mode === "mask") { mask.start(toPhoto(event)); return; }
    var t = event.target;
    if (t.dataset && t.dataset.kind) {
      dragging = { kind: t.dataset.kind, index: Number(t.dataset.index), zone: Number(t.dataset.zone) };
      if (dragging.kind === "zone") { state.current = dragging.zone; write(); draw(); }
      return;
    }
    var p = toPhoto(event);
    if (mode === "scale") {
      if (state.scale.length >= 2) state.scale = [];
      state.scale.push(p);
      if (state.scale.length === 2) field("scale_mm").focus();
    } else if (mode === "glabella") {
      state.glabella = [p];
    } else if (mode === "zone") {
      state.zones[state.current].push(p);
    } else {
      state[mode].push(p);
    }
    changed();
  });
  svg.addEventListener("pointermove", function (event) {
    if (mode === "mask") { mask.move(toPhoto(event)); return; }
    if (!dragging) return;
    event.preventDefault();
    var list = dragging.kind === "zone" ? state.zones[dragging.zone] : state[dragging.kind];
    list[dragging.index] = toPhoto(event);
    write();
    draw();
  });
  ["pointerup", "pointercancel"].forEach(function (name) {
    svg.addEventListener(name, function () {
      if (mask.end()) changed();
      if (dragging) { dragging = null; changed(); }
    });
  });

  function setMode(next) {
    mode = next;
    document.querySelectorAll("[data-mode]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    });
    hint.textContent = HINTS[mode];
    // The mask's tint shows while it is painted, not over the drawing.
    document.getElementById("mask-tools").hidden = mode !== "mask";
    document.getElementById("mask-view").hidden = mode !== "mask";
  }
  document.querySelectorAll("[data-mode]").forEach(function (b) {
    b.addEventListener("click", function () { setMode(b.dataset.mode); });
  });
  document.querySelector("[data-action=clear]").addEventListener("click", function () {
    if (mode === "mask") { document.getElementById("mask-clear").click(); return; }
    remember();
    if (mode === "zone") {
      // Clearing a second zone removes it; the first is only emptied.
      if (state.zones.length > 1) {
        state.zones.splice(state.current, 1);
        state.densities.splice(state.current, 1);
        state.current = Math.max(0, state.current - 1);
      } else {
        state.zones[0] = [];
      }
    } else {
      state[mode] = [];
    }
    changed();
  });
  document.querySelector("[data-action=new-zone]").addEventListener("click", function () {
    remember();
    state.zones.push([]);
    state.densities.push(state.densities[state.current]);
    state.current = state.zones.length - 1;
    setMode("zone");
    changed();
  });
  densityInput.addEventListener("focus", remember);
  densityInput.addEventListener("input", function () {
    state.densities[state.current] = densityInput.value;
    changed();
  });
  params.forEach(function (e) {
    e.addEventListener("focus", remember);
    e.addEventListener("input", changed);
    e.addEventListener("change", changed);
  });
  smpStages(function () {
    clearTimeout(timer);
    timer = setTimeout(requestPreview, 60);
  });

  // The preview follows each change, a moment after it.
  var timer = null, previewer = smpPreviewer();
  function changed() {
    write();
    draw();
    mask.sync(false);
    clearTimeout(timer);
    timer = setTimeout(requestPreview, 120);
    if (JSON.stringify(state.hair) !== hairAsked) {
      clearTimeout(hairTimer);
      hairTimer = setTimeout(requestHair, 400);
    }
  }

  // The client's own stubble: measured on the full photo when the sample
  // changes; "Match" sets the design's density, dot size and dilution to
  // continue it.
  var hairFigures = document.getElementById("hair-figures");
  var hairResult = document.getElementById("hair-result");
  var matchHair = document.getElementById("match-hair");
  var hairWarnings = document.getElementById("hair-warnings");
  function showHairWarnings(list) {
    while (hairWarnings.firstChild) hairWarnings.removeChild(hairWarnings.firstChild);
    list.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text.charAt(0).toUpperCase() + text.slice(1) + (/[.?]$/.test(text) ? "" : ".");
      hairWarnings.appendChild(li);
    });
  }
  var hairAsked = JSON.stringify(state.hair), hairTimer = null, hairSuggested = null;
  function requestHair() {
    hairAsked = JSON.stringify(state.hair);
    if (state.hair.length < 3) { hairFigures.hidden = true; return; }
    hairFigures.hidden = false;
    matchHair.hidden = true;
    hairResult.textContent = "Measuring the stubble…";
    showHairWarnings([]);
    var asked = hairAsked;
    var body = new URLSearchParams(new FormData(form));
    body.delete("csrf");
    fetch(form.dataset.hair, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (r) {
        if (asked !== hairAsked) return;
        hairSuggested = r.density_per_cm2 === null ? null : r;
        if (!hairSuggested) { hairResult.textContent = (r.warnings || []).join(" "); return; }
        hairResult.textContent = "The client's stubble: " + r.count + " hairs, " + r.density_per_cm2 +
          " per cm², " + r.diameter_mm.toFixed(2) + " mm across, colour " + r.color_hex +
          ". To continue it: density " + r.suggested_density + ", dots of " + r.suggested_diameter_mm +
          " mm, dilution " + r.suggested_dilution + ".";
        showHairWarnings(r.warnings);
        matchHair.hidden = false;
      })
      .catch(function () { if (asked === hairAsked) hairResult.textContent = "The stubble could not be measured."; });
  }
  matchHair.addEventListener("click", function () {
    if (!hairSuggested) return;
    remember();
    state.densities = state.densities.map(function () { return String(hairSuggested.suggested_density); });
    field("diameter_mm").value = String(hairSuggested.suggested_diameter_mm);
    field("dilution").value = String(hairSuggested.suggested_dilution);
    changed();
  });
  if (state.hair.length >= 3) requestHair();
  var warningsList = document.getElementById("warnings");
  var skinNote = document.getElementById("skin-note");
  function requestAdvice(seq, body) {
    fetch(form.dataset.advice, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (seq !== previewer.latest()) return;
        skinNote.textContent = answer.skin || "";
        while (warningsList.firstChild) warningsList.removeChild(warningsList.firstChild);
        (answer.warnings || []).forEach(function (text) {
          var li = document.createElement("li");
          li.textContent = text;
          warningsList.appendChild(li);
        });
      })
      .catch(function () {});
  }
  function requestPreview() {
    var body = new URLSearchParams(new FormData(form));
    body.delete("csrf");
    var seq = previewer.request(form.dataset.preview, body);
    requestAdvice(seq, new URLSearchParams(body));
  }

  setMode(mode);
  changed();

  smpLeaveGuard(function () {
    var s = JSON.parse(snapshot());
    delete s.current;
    return JSON.stringify(s);
  });
})();
