// The design on the head: a tab per photo of the client; on each, tap the
// points that tie it to the head model (guided, one name at a time,
// skippable), and draw the hairline and the zones on whichever photo suits.
// Every change asks the server how each photo fits (a badge beside its
// tab, and the shapes drawn on other photos carried onto this one) and for
// the simulation on the photo shown; a slower, older answer never replaces
// a newer one.
(function () {
  "use strict";
  var form = document.getElementById("head-form");
  if (!form) return;
  var svg = document.getElementById("overlay");
  var hint = document.getElementById("hint");
  var photoImg = document.getElementById("photo");
  var beforeImg = document.getElementById("preview-before");
  var previewImg = document.getElementById("preview");
  var figures = document.getElementById("figures");
  var warningsList = document.getElementById("warnings");
  var photoName = document.getElementById("photo-name");
  var densityInput = document.getElementById("zone-density");
  var zoneLabel = document.getElementById("zone-label");
  var NS = "http://www.w3.org/2000/svg";
  var field = function (name) { return form.elements.namedItem(name); };

  // The points, in the order they are asked for. The first three are the
  // head model's landmarks; the others are marks drawn on the client's
  // scalp before the photos, the same marks on every photo.
  var POINTS = [
    ["glabella", "between the brows"],
    ["right_ear", "the top of the client's right ear, where it meets the head"],
    ["left_ear", "the top of the client's left ear, where it meets the head"],
    ["frontal", "the frontal mark (the middle of the hairline)"],
    ["right_temple", "the mark on the client's right temple"],
    ["left_temple", "the mark on the client's left temple"],
    ["crown", "the mark on the crown"]
  ];
  var LABELS = {};
  POINTS.forEach(function (p) { LABELS[p[0]] = p[1]; });

  var tabs = Array.prototype.slice.call(document.querySelectorAll("[data-photo]"));
  var state = (function () {
    var s = {};
    try { s = JSON.parse(field("drawing").value || "{}") || {}; } catch (e) { s = {}; }
    return { points: s.points || {}, hairline: s.hairline || null, zones: s.zones || [] };
  })();
  if (!state.zones.length) state.zones.push({ on: "", points: [], density: form.dataset.density });
  var current = 0; // the zone being edited
  var active = null; // the photo shown: its tab
  var mode = "points";
  var asking = 0; // index into POINTS of the point a tap places
  var fitAnswer = null;
  var params = Array.prototype.filter.call(form.elements, function (e) {
    return e.name && ["csrf", "drawing", "seed", "stage"].indexOf(e.name) < 0;
  });

  function photoId() { return active.dataset.photo; }
  function W() { return Number(active.dataset.width); }
  function H() { return Number(active.dataset.height); }
  function pointsHere() { return state.points[photoId()] || {}; }

  function snapshot() {
    var values = {};
    params.forEach(function (e) { values[e.name] = e.value; });
    return JSON.stringify({ points: state.points, hairline: state.hairline, zones: state.zones, current: current, values: values });
  }
  function restore(text) {
    var s = JSON.parse(text);
    state.points = s.points; state.hairline = s.hairline; state.zones = s.zones; current = s.current;
    params.forEach(function (e) { if (e.name in s.values) e.value = s.values[e.name]; });
  }
  var remember = smpHistory(snapshot, restore, changed);

  function write() {
    var zones = state.zones.filter(function (z) { return z.points.length; });
    field("drawing").value = JSON.stringify({ points: state.points, hairline: state.hairline, zones: zones });
    densityInput.value = state.zones[current].density;
    zoneLabel.textContent = state.zones.length > 1 ? " (zone " + (current + 1) + " of " + state.zones.length + ")" : "";
  }

  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    (parent || svg).appendChild(e);
    return e;
  }
  function draw() {
    var R = Math.max(W(), H()) / 110;
    svg.setAttribute("viewBox", "0 0 " + W() + " " + H());
    svg.setAttribute("preserveAspectRatio", "none");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var pts = function (list) { return list.map(function (p) { return p[0] + "," + p[1]; }).join(" "); };
    // What other photos hold, as this one sees it through the head.
    var here = fitAnswer && fitAnswer.photos && fitAnswer.photos[photoId()];
    (here ? here.carried : []).forEach(function (line) {
      el("polyline", { points: pts(line), fill: "none", stroke: "#ffffff", "stroke-width": R / 3,
        "stroke-dasharray": R + " " + R / 1.5, opacity: "0.85" });
    });
    state.zones.forEach(function (zone, z) {
      if (zone.on !== photoId() || !zone.points.length) return;
      el("polygon", { points: pts(zone.points), fill: "rgba(60,180,120,0.18)", stroke: "#2fa56a",
        "stroke-width": z === current ? R / 2 : R / 5 });
    });
    if (state.hairline && state.hairline.on === photoId()) {
      el("polyline", { points: pts(state.hairline.points), fill: "none", stroke: "#19b5d8", "stroke-width": R / 2.5 });
    }
    var handle = function (p, kind, colour, key, zone, label) {
      var c = el("circle", { cx: p[0], cy: p[1], r: R, fill: colour, stroke: "#fff", "stroke-width": R / 4 });
      c.dataset.kind = kind;
      c.dataset.key = key;
      c.dataset.zone = zone;
      c.style.cursor = "grab";
      if (label) el("title", {}, c).textContent = label;
    };
    state.zones.forEach(function (zone, z) {
      if (zone.on === photoId()) zone.points.forEach(function (p, i) { handle(p, "zone", "#2fa56a", i, z); });
    });
    if (state.hairline && state.hairline.on === photoId()) {
      state.hairline.points.forEach(function (p, i) { handle(p, "hairline", "#19b5d8", i, 0); });
    }
    var marks = pointsHere();
    Object.keys(marks).forEach(function (name) {
      handle(marks[name], "point", name === (POINTS[asking] || [])[0] ? "#f0b429" : "#d64f8a", name, 0, LABELS[name] || name);
    });
  }

  function nextUnplaced(from) {
    var marks = pointsHere();
    for (var k = 0; k < POINTS.length; k++) {
      var i = (from + k) % POINTS.length;
      if (!(POINTS[i][0] in marks)) return i;
    }
    return from % POINTS.length;
  }
  function showHint() {
    if (mode === "points") {
      var p = POINTS[asking];
      hint.textContent = "On the " + active.dataset.name + " photo, tap " + p[1] + " (" + p[0] + "), or skip it where it cannot be seen. " +
        "Three points or more per photo; marks on two photos tie them together.";
    } else if (mode === "hairline") {
      hint.textContent = "Tap along the hairline from left to right on the photo that shows it best (usually the front); drag a point to adjust it.";
    } else {
      hint.textContent = "Tap the corners of the area to treat on the photo that shows it best; drag a corner to adjust it.";
    }
  }

  function toPhoto(event) {
    var box = svg.getBoundingClientRect();
    return [Math.min(W(), Math.max(0, (event.clientX - box.left) / box.width * W())),
            Math.min(H(), Math.max(0, (event.clientY - box.top) / box.height * H()))];
  }
  var dragging = null;
  svg.addEventListener("pointerdown", function (event) {
    event.preventDefault();
    svg.setPointerCapture(event.pointerId);
    remember();
    var t = event.target;
    if (t.dataset && t.dataset.kind) {
      dragging = { kind: t.dataset.kind, key: t.dataset.key, zone: Number(t.dataset.zone) };
      if (dragging.kind === "zone") { current = dragging.zone; write(); draw(); }
      return;
    }
    var p = toPhoto(event);
    if (mode === "points") {
      state.points[photoId()] = pointsHere();
      state.points[photoId()][POINTS[asking][0]] = p;
      asking = nextUnplaced(asking + 1);
      showHint();
    } else if (mode === "hairline") {
      // A hairline lives on one photo: starting it on another moves it.
      if (!state.hairline || state.hairline.on !== photoId()) state.hairline = { on: photoId(), points: [] };
      state.hairline.points.push(p);
    } else {
      var zone = state.zones[current];
      if (zone.on !== photoId()) { zone.on = photoId(); zone.points = []; }
      zone.points.push(p);
    }
    changed();
  });
  svg.addEventListener("pointermove", function (event) {
    if (!dragging) return;
    event.preventDefault();
    var p = toPhoto(event);
    if (dragging.kind === "point") state.points[photoId()][dragging.key] = p;
    else if (dragging.kind === "hairline") state.hairline.points[Number(dragging.key)] = p;
    else state.zones[dragging.zone].points[Number(dragging.key)] = p;
    write();
    draw();
  });
  ["pointerup", "pointercancel"].forEach(function (name) {
    svg.addEventListener(name, function () { if (dragging) { dragging = null; changed(); } });
  });

  function setMode(next) {
    mode = next;
    document.querySelectorAll("[data-mode]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.mode === mode));
    });
    document.querySelector("[data-action=skip]").hidden = mode !== "points";
    showHint();
    draw();
  }
  document.querySelectorAll("[data-mode]").forEach(function (b) {
    b.addEventListener("click", function () { setMode(b.dataset.mode); });
  });
  document.querySelector("[data-action=skip]").addEventListener("click", function () {
    asking = (asking + 1) % POINTS.length;
    showHint();
    draw();
  });
  document.querySelector("[data-action=clear]").addEventListener("click", function () {
    remember();
    if (mode === "points") {
      // The point asked for on this photo, else all of this photo's.
      var marks = pointsHere();
      if (POINTS[asking][0] in marks) delete marks[POINTS[asking][0]]; else state.points[photoId()] = {};
    } else if (mode === "hairline") {
      state.hairline = null;
    } else if (state.zones.length > 1) {
      state.zones.splice(current, 1);
      current = Math.max(0, current - 1);
    } else {
      state.zones[0].points = [];
    }
    changed();
  });
  document.querySelector("[data-action=new-zone]").addEventListener("click", function () {
    remember();
    state.zones.push({ on: photoId(), points: [], density: state.zones[current].density });
    current = state.zones.length - 1;
    setMode("zone");
    changed();
  });
  densityInput.addEventListener("focus", remember);
  densityInput.addEventListener("input", function () {
    state.zones[current].density = densityInput.value;
    changed();
  });
  params.forEach(function (e) {
    e.addEventListener("focus", remember);
    e.addEventListener("input", changed);
    e.addEventListener("change", changed);
  });

  // The tabs: arrows move between them, as in any tab list.
  function show(tab) {
    active = tab;
    tabs.forEach(function (t) {
      t.setAttribute("aria-selected", String(t === tab));
      t.tabIndex = t === tab ? 0 : -1;
    });
    var src = "/photos/" + tab.dataset.photo + "/screen";
    photoImg.src = src;
    photoImg.alt = "The " + tab.dataset.name + " photo";
    beforeImg.src = src;
    previewImg.removeAttribute("src");
    photoName.textContent = "the " + tab.dataset.name + " photo";
    asking = nextUnplaced(0);
    showHint();
    draw();
    clearTimeout(timer);
    timer = setTimeout(requestPreview, 0);
  }
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () { show(tab); });
    tab.addEventListener("keydown", function (event) {
      var to = event.key === "ArrowRight" ? i + 1 : event.key === "ArrowLeft" ? i - 1 : null;
      if (to === null) return;
      event.preventDefault();
      var next = tabs[(to + tabs.length) % tabs.length];
      next.focus();
      show(next);
    });
  });

  // The fit and the preview: one request of each in flight at most; each
  // answer is shown only when it answers the latest change.
  var timer = null, fitSeq = 0, previewer = smpPreviewer();
  function changed() {
    write();
    draw();
    clearTimeout(timer);
    timer = setTimeout(function () { requestFit(); requestPreview(); }, 150);
  }
  function body() {
    var b = new URLSearchParams(new FormData(form));
    b.delete("csrf");
    return b;
  }
  function showWarnings(list) {
    while (warningsList.firstChild) warningsList.removeChild(warningsList.firstChild);
    list.forEach(function (text) {
      var li = document.createElement("li");
      li.textContent = text.charAt(0).toUpperCase() + text.slice(1) + (/[.?]$/.test(text) ? "" : ".");
      warningsList.appendChild(li);
    });
  }
  function requestFit() {
    var seq = ++fitSeq;
    fetch(form.dataset.fit, { method: "POST", body: body(), credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (seq !== fitSeq) return;
        fitAnswer = answer;
        tabs.forEach(function (tab) {
          var badge = tab.querySelector("[data-badge]");
          var fit = answer.photos[tab.dataset.photo];
          var count = Object.keys(state.points[tab.dataset.photo] || {}).length;
          badge.classList.toggle("poor", !!(fit && (fit.poor || fit.warnings.length)));
          badge.textContent = fit ? (fit.poor ? "does not fit: " : "fits within ") + Math.max(fit.rms_mm, 0.1).toFixed(1) + " mm"
            : count ? count + " of 3 points" : "";
        });
        var list = (answer.problem ? [answer.problem] : []).concat(answer.warnings);
        Object.keys(answer.photos).forEach(function (id) {
          var tab = tabs.filter(function (t) { return t.dataset.photo === id; })[0];
          answer.photos[id].warnings.forEach(function (w) { list.push((tab ? tab.dataset.name + " photo: " : "") + w); });
        });
        showWarnings(list);
        figures.textContent = answer.impressions === null || answer.impressions === undefined ? "" :
          answer.zones_cm2.map(function (a, i) { return "zone " + (i + 1) + ": " + a + " cm² of scalp"; }).join(", ") +
          " · " + answer.impressions.toLocaleString() + " impressions";
        draw();
      })
      .catch(function () {});
  }
  function requestPreview() {
    previewer.request(form.dataset.preview + photoId(), body());
  }
  smpStages(function () {
    clearTimeout(timer);
    timer = setTimeout(requestPreview, 60);
  });

  // The first photo with something on it opens, else the first.
  var start = tabs.filter(function (t) {
    var id = t.dataset.photo;
    return Object.keys(state.points[id] || {}).length || state.zones.some(function (z) { return z.on === id; });
  })[0] || tabs[0];
  active = start;
  setMode("points");
  show(start);
  write();
  requestFit();

  smpLeaveGuard(function () {
    var s = JSON.parse(snapshot());
    delete s.current;
    return JSON.stringify(s);
  });
})();
