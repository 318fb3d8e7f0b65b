// The search page. A person picks bands (by name, from suggestions) and/or a
// place (a venue or city from suggestions, their location, or a point on the
// map) with a radius, a date range and an order; the page asks GET /concerts,
// lists the concerts newest first (or soonest, or nearest), loads more as the
// list is scrolled (following the answer's Link header), shows them on a map,
// and shows how many there are per month (GET /concerts/counts). The search lives in the
// page's URL, so that it can be shared and reloaded. Only the API is called:
// no other origin, unless map tiles are configured.

const $ = (id) => document.getElementById(id);

/** Concerts per page of the answer. */
const PAGE = 50;
/** How long typing pauses before suggestions are asked for, in ms. */
const PAUSE = 150;

const state = { bands: [], place: null, radius: 20, from: "", to: "", sort: "-date" };

/** The order asked of the API: nearest first only with a place, newest first by default. */
function sortAsked() {
  return state.sort === "distance" && !state.place ? "-date" : state.sort;
}

// ---- The API ---------------------------------------------------------------

/** How long a call to the API may take before the page says so, in ms. */
const PATIENCE = 20000;

/**
 * GETs `url` as JSON. Never throws: a network failure or a call that takes
 * longer than PATIENCE comes back as a failed response whose body says so,
 * so that nothing waits for ever on a page that is still "loading".
 */
async function getJson(url) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" }, signal: AbortSignal.timeout(PATIENCE) });
  } catch (error) {
    const why = error.name === "TimeoutError" ? `no answer within ${PATIENCE / 1000} s` : error.message;
    return { response: { ok: false, status: 0, statusText: "" }, body: { message: [`The API could not be reached: ${why}.`] } };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return { response, body };
}

/** What went wrong, as the API words it. */
function problemsOf(response, body) {
  if (body && Array.isArray(body.message)) return body.message.map(String);
  return [`The API answered ${response.status} ${response.statusText}.`];
}

/** The target of a `Link: <...>; rel="next"` header, if any. */
function nextLink(response) {
  const link = response.headers.get("link") || "";
  const match = link.match(/<([^>]+)>\s*;\s*rel="next"/);
  return match ? match[1] : null;
}

// ---- The search in the URL -------------------------------------------------

/** The search as the API's query parameters; the page's URL holds the same ones. */
function searchParams() {
  const params = new URLSearchParams();
  if (state.bands.length) params.set("bandIds", state.bands.map((band) => band.id).join(","));
  if (state.place) {
    params.set("latitude", String(state.place.latitude));
    params.set("longitude", String(state.place.longitude));
    params.set("radius", String(state.radius));
  }
  if (state.from) params.set("from", state.from);
  if (state.to) params.set("to", state.to);
  return params;
}

/** The search in its order: what GET /concerts and the calendar are asked. */
function sortedParams() {
  const params = searchParams();
  if (sortAsked() !== "-date") params.set("sort", sortAsked());
  return params;
}

function writeUrl() {
  const params = sortedParams();
  if (state.place) params.set("place", state.place.name);
  const query = params.toString();
  history.replaceState(null, "", query ? `?${query}` : location.pathname);
}

async function readUrl() {
  const params = new URLSearchParams(location.search);
  const ids = (params.get("bandIds") || "").split(",").filter((id) => /^\d+$/.test(id));
  if (ids.length) {
    const { response, body } = await getJson(`/bands?ids=${ids.join(",")}`);
    if (response.ok && Array.isArray(body)) state.bands = body;
  }
  const latitude = Number.parseFloat(params.get("latitude"));
  const longitude = Number.parseFloat(params.get("longitude"));
  if (Number.isFinite(latitude) && Number.isFinite(longitude)) {
    state.place = { name: params.get("place") || "A point on the map", latitude, longitude };
  }
  const radius = Number.parseFloat(params.get("radius"));
  if (Number.isFinite(radius) && radius >= 0) state.radius = radius;
  state.from = params.get("from") || "";
  state.to = params.get("to") || "";
  const sort = params.get("sort");
  if (["-date", "date", "distance"].includes(sort)) state.sort = sort;
}

// ---- Suggestions as one types (the ARIA combobox pattern) ------------------

/**
 * Makes `input` suggest what `find(text)` returns (`{label, value}`), in
 * `list`; `pick(value)` takes the one chosen with the mouse, or with the
 * arrow keys and Enter.
 */
function combobox(input, list, find, pick) {
  let options = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };
  const highlight = (index) => {
    active = index;
    [...list.children].forEach((item, at) => item.setAttribute("aria-selected", String(at === index)));
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({ block: "nearest" });
    }
  };
  const choose = (index) => {
    const option = options[index];
    if (!option) return;
    input.value = "";
    close();
    pick(option.value);
  };
  const show = (found) => {
    options = found;
    list.replaceChildren(
      ...(found.length
        ? found.map((option, at) => {
            const item = document.createElement("li");
            item.id = `${list.id}-${at}`;
            item.setAttribute("role", "option");
            item.textContent = option.label;
            item.addEventListener("mousedown", (event) => {
              event.preventDefault();
              choose(at);
            });
            return item;
          })
        : [Object.assign(document.createElement("li"), { className: "empty", textContent: "Nothing found" })]),
    );
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
    highlight(found.length ? 0 : -1);
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text) return close();
    timer = setTimeout(async () => {
      const mine = ++asked;
      const found = await find(text);
      if (mine === asked && input.value.trim() === text) show(found);
    }, PAUSE);
  });
  input.addEventListener("keydown", (event) => {
    if (list.hidden) return;
    if (event.key === "ArrowDown") highlight(Math.min(active + 1, options.length - 1));
    else if (event.key === "ArrowUp") highlight(Math.max(active - 1, 0));
    else if (event.key === "Enter") choose(active);
    else if (event.key === "Escape") close();
    else return;
    event.preventDefault();
  });
  input.addEventListener("blur", close);
}

async function findBands(text) {
  const { response, body } = await getJson(`/bands?q=${encodeURIComponent(text)}&limit=8`);
  if (!response.ok || !Array.isArray(body)) return [];
  return body.filter((band) => !state.bands.some((picked) => picked.id === band.id)).map((band) => ({ label: band.name, value: band }));
}

/** A city with its venues' count, or a venue: what the place field suggests. */
function placeLabel(place) {
  if (place.kind !== "city") return place.label;
  return `${place.label} · ${place.venues} ${place.venues === 1 ? "venue" : "venues"}`;
}

async function findPlaces(text) {
  const { response, body } = await getJson(`/places?q=${encodeURIComponent(text)}&limit=8`);
  if (!response.ok || !Array.isArray(body)) return [];
  return body.map((place) => ({ label: placeLabel(place), value: place }));
}

// ---- What is picked ----------------------------------------------------------

function showBands() {
  $("bands-picked").replaceChildren(
    ...state.bands.map((band) => {
      const chip = document.createElement("li");
      chip.append(band.name);
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `Remove ${band.name}`);
      remove.addEventListener("click", () => {
        state.bands = state.bands.filter((kept) => kept.id !== band.id);
        changed();
        $("band-input").focus();
      });
      chip.append(remove);
      return chip;
    }),
  );
}

function showPlace() {
  const place = state.place;
  $("place-picked").textContent = place
    ? `${place.name} (${place.latitude.toFixed(4)}, ${place.longitude.toFixed(4)}), within ${state.radius} km`
    : "No place: pick one, use your location, or click the map.";
  $("clear-place").hidden = !place;
  $("radius").value = String(state.radius);
  $("from").value = state.from;
  $("to").value = state.to;
  $("sort").querySelector('[value="distance"]').disabled = !place;
  $("sort").value = sortAsked();
}

// ---- The map -----------------------------------------------------------------

const map = { leaflet: null, circle: null, venues: null, seen: new Map() };

async function startMap() {
  if (!window.L) return;
  const { body: config } = await getJson("/app/config.json");
  map.leaflet = L.map("map", { worldCopyJump: true }).setView([48.8566, 2.3522], 4);
  if (config && config.tileUrl) {
    L.tileLayer(config.tileUrl, { attribution: config.attribution || "", maxZoom: 18 }).addTo(map.leaflet);
  }
  map.venues = L.layerGroup().addTo(map.leaflet);
  map.leaflet.on("click", (event) => {
    state.place = { name: "A point on the map", latitude: event.latlng.lat, longitude: event.latlng.lng };
    changed();
  });
}

function showArea() {
  if (!map.leaflet) return;
  if (map.circle) map.circle.remove();
  map.circle = null;
  if (state.place) {
    const centre = [state.place.latitude, state.place.longitude];
    map.circle = L.circle(centre, { radius: state.radius * 1000, color: "#3346c7", weight: 2, fillOpacity: 0.06 }).addTo(map.leaflet);
    if (state.radius > 0) map.leaflet.fitBounds(map.circle.getBounds(), { maxZoom: 13 });
    else map.leaflet.setView(centre, 13);
  }
}

function clearVenues() {
  map.seen.clear();
  if (map.venues) map.venues.clearLayers();
}

/** One marker per venue of the concerts shown, with how many there are. */
function showVenues(concerts) {
  if (!map.leaflet) return;
  for (const concert of concerts) {
    const key = `${concert.latitude},${concert.longitude}`;
    const known = map.seen.get(key);
    if (known) {
      known.count += 1;
      known.marker.setTooltipContent(`${concert.location}: ${known.count}`);
      continue;
    }
    const marker = L.circleMarker([concert.latitude, concert.longitude], { radius: 6, color: "#a11b5a", weight: 2, fillOpacity: 0.7 });
    marker.bindTooltip(`${concert.location}: 1`);
    marker.addTo(map.venues);
    map.seen.set(key, { marker, count: 1 });
  }
  if (!state.place && map.seen.size) {
    map.leaflet.fitBounds(L.featureGroup([...map.seen.values()].map((venue) => venue.marker)).getBounds(), { maxZoom: 12, padding: [20, 20] });
  }
}

// ---- The answer ----------------------------------------------------------------

const answer = { generation: 0, next: null, loading: false, shown: 0, total: null };

function concertsQuery() {
  const params = sortedParams();
  params.set("limit", String(PAGE));
  return params.toString();
}

/** How a date is said in a time zone (one formatter per zone, made once). */
const formatters = new Map();
function when(zone) {
  if (!formatters.has(zone)) {
    let format;
    try {
      format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short", timeZone: zone });
    } catch {
      // A zone this browser does not know: its own time, as before there were zones.
      format = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
    }
    formatters.set(zone, format);
  }
  return formatters.get(zone);
}

// How each status but "scheduled" is said beside the band.
const statusLabels = { postponed: "Postponed", rescheduled: "Rescheduled", cancelled: "Cancelled" };

function item(concert) {
  const entry = document.createElement("li");
  entry.dataset.status = concert.status;
  const band = Object.assign(document.createElement("span"), { className: "band" });
  band.append(Object.assign(document.createElement("span"), { className: "name", textContent: concert.band }));
  const label = statusLabels[concert.status];
  if (label) band.append(" ", Object.assign(document.createElement("span"), { className: "status", textContent: label }));
  const venue = Object.assign(document.createElement("span"), { className: "venue", textContent: concert.location });
  // A cancelled concert stays listed, struck through: what is struck is its date and place, said as such.
  const date = document.createElement(concert.status === "cancelled" ? "del" : "time");
  const time = date.tagName === "DEL" ? date.appendChild(document.createElement("time")) : date;
  // The venue's local time, with its zone: a concert in Tokyo is at 21:00 there, wherever one reads it.
  time.dateTime = concert.localDate || new Date(concert.date).toISOString();
  time.textContent = when(concert.timeZone).format(new Date(concert.date));
  if (concert.timeZone) {
    date.append(Object.assign(document.createElement("span"), { className: "zone", textContent: concert.timeZone }));
  }
  entry.append(band, venue, date);
  return entry;
}

function showProblems(messages) {
  const box = $("problems");
  if (!messages.length) {
    box.hidden = true;
    box.replaceChildren();
    return;
  }
  const list = document.createElement("ul");
  list.append(...messages.map((message) => Object.assign(document.createElement("li"), { textContent: message })));
  box.replaceChildren(list);
  box.hidden = false;
}

function showStatus() {
  const results = $("results");
  results.dataset.count = String(answer.shown);
  // Whether the whole answer is shown: no page is coming, and none is due.
  results.dataset.complete = String(!answer.next && !answer.loading);
  let text;
  if (!state.bands.length && !state.place) text = "Pick a band or a place.";
  else if (answer.loading && !answer.shown) text = "Searching…";
  else if (!answer.shown) text = "No concerts match this search.";
  else if (answer.loading) text = `${answer.shown} concerts ${ofTotal()}so far; loading more…`;
  else if (answer.next) text = `${answer.shown} concerts ${ofTotal()}so far; more load as you scroll.`;
  else text = `${answer.shown} concert${answer.shown === 1 ? "" : "s"}.`;
  $("status").textContent = text;
}

/** "of 935 " once the search's total is known. */
function ofTotal() {
  return answer.total === null ? "" : `of ${answer.total} `;
}

const monthName = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });

/**
 * Asks how many concerts the search has per month, and shows the total and
 * a bar per month (unless a newer search started meanwhile).
 */
async function loadCounts(generation) {
  const { response, body } = await getJson(`/concerts/counts?${searchParams()}&by=month`);
  if (generation !== answer.generation || !response.ok || !body || !Array.isArray(body.groups)) return;
  answer.total = body.total;
  const most = Math.max(1, ...body.groups.map((group) => group.count));
  $("months").replaceChildren(
    ...body.groups.map((group) => {
      const [year, month] = group.key.split("-").map(Number);
      const name = Number.isFinite(year) && Number.isFinite(month) ? monthName.format(Date.UTC(year, month - 1, 1)) : group.key;
      const bar = document.createElement("li");
      bar.dataset.month = group.key;
      bar.dataset.count = String(group.count);
      bar.style.setProperty("--share", String(group.count / most));
      bar.title = `${name}: ${group.count}`;
      bar.append(Object.assign(document.createElement("span"), { className: "label", textContent: `${name}: ${group.count}` }));
      return bar;
    }),
  );
  $("histogram-title").textContent = `${body.total} concert${body.total === 1 ? "" : "s"} in all, per month`;
  $("histogram").hidden = body.groups.length === 0;
  showStatus();
}

/** Asks `url` for a page of the answer and shows it, unless a newer search started meanwhile. */
async function loadPage(url, generation) {
  answer.loading = true;
  showStatus();
  const { response, body } = await getJson(url);
  if (generation !== answer.generation) return;
  answer.loading = false;
  if (!response.ok || !Array.isArray(body)) {
    answer.next = null;
    showProblems(problemsOf(response, body));
    showStatus();
    return;
  }
  $("results").append(...body.map(item));
  answer.shown += body.length;
  answer.next = nextLink(response);
  showVenues(body);
  showStatus();
  // Observed afresh, the end of the list is reported as it is now: in view
  // after a short page, or because it was scrolled to while this page loaded
  // (the observer reports changes only, and those came while loading).
  endOfList.unobserve($("more"));
  endOfList.observe($("more"));
}

function search() {
  const generation = ++answer.generation;
  Object.assign(answer, { next: null, loading: false, shown: 0, total: null });
  $("results").replaceChildren();
  $("months").replaceChildren();
  $("histogram").hidden = true;
  showProblems([]);
  clearVenues();
  const searching = state.bands.length > 0 || state.place !== null;
  // The same search as a calendar that a calendar app can subscribe to.
  $("subscribe").hidden = !searching;
  $("subscribe").href = `/concerts.ics?${sortedParams()}`;
  if (!searching) return showStatus();
  loadPage(`/concerts?${concertsQuery()}`, generation);
  loadCounts(generation);
}

/** The next page loads when the end of the list comes into view. */
const endOfList = new IntersectionObserver((entries) => {
  if (entries.some((entry) => entry.isIntersecting) && answer.next && !answer.loading) {
    loadPage(answer.next, answer.generation);
  }
});
endOfList.observe($("more"));

// ---- Wiring ----------------------------------------------------------------------

function changed() {
  showBands();
  showPlace();
  showArea();
  writeUrl();
  search();
}

combobox($("band-input"), $("band-options"), findBands, (band) => {
  state.bands.push(band);
  changed();
});
combobox($("place-input"), $("place-options"), findPlaces, (place) => {
  state.place = { name: place.label, latitude: place.latitude, longitude: place.longitude };
  // A city is searched in its circle, which holds all its venues (whole km: the radius field's step).
  if (place.kind === "city") state.radius = Math.ceil(place.radius);
  changed();
});
$("my-location").addEventListener("click", () => {
  if (!navigator.geolocation) return showProblems(["This browser cannot tell your location."]);
  navigator.geolocation.getCurrentPosition(
    (position) => {
      state.place = { name: "Your location", latitude: position.coords.latitude, longitude: position.coords.longitude };
      changed();
    },
    (error) => showProblems([`Your location is not available: ${error.message}`]),
  );
});
$("clear-place").addEventListener("click", () => {
  state.place = null;
  changed();
});
$("radius").addEventListener("change", () => {
  const radius = Number.parseFloat($("radius").value);
  if (Number.isFinite(radius) && radius >= 0) state.radius = radius;
  changed();
});
for (const id of ["from", "to"]) {
  $(id).addEventListener("change", () => {
    state[id] = $(id).value;
    changed();
  });
}
$("sort").addEventListener("change", () => {
  state.sort = $("sort").value;
  changed();
});
$("search").addEventListener("submit", (event) => event.preventDefault());

await startMap();
await readUrl();
changed();
