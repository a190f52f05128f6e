// The link chart page: who is asking (token and purpose, kept in this tab's sessionStorage only),
// which entity (from ?id= or the form), and the drawing, its legend, its time window and export.
// Everything drawn comes from /graphql under the user's token; the page itself holds no data.

import { ApiError, graphql } from "./api.js";
import { Chart, EXPANDED, OTHER, PALETTE } from "./graph.js";
import { DAYS, EXPAND, FIRST_EVENT, NETWORK, caption } from "./queries.js";
import { TimeSlider, daysDomain } from "./time.js";

const TOKEN = "polegraph.chart.token";
const PURPOSE = "polegraph.chart.purpose";
const SVG = "http://www.w3.org/2000/svg";
const $ = (id) => document.getElementById(id);

const state = { seed: null, ticket: 0, expanded: new Set(), network: null };

function credentials() {
  const token = sessionStorage.getItem(TOKEN);
  const purpose = sessionStorage.getItem(PURPOSE);
  return token && purpose ? { token, purpose } : null;
}

function showSignedIn() {
  const c = credentials();
  $("signed-in").textContent = c ? `token kept for this tab; purpose: ${c.purpose}` : "not signed in";
  if (c) $("purpose").value = c.purpose;
}

function tell(text, kind = "error") {
  const box = $("message");
  box.textContent = text;
  box.className = kind;
  box.hidden = false;
  chart.cy.resize(); // the message takes room from the drawing: clicks must land where nodes are
}

function quiet() {
  $("message").hidden = true;
  $("message").textContent = "";
  chart.cy.resize();
}

function setState(value) {
  $("cy").dataset.state = value;
  $("cy").dataset.nodes = String(chart.cy.nodes().length);
}

async function ask(query, variables) {
  const c = credentials();
  if (!c) throw new ApiError("signed-out", "Enter your token and the purpose of this search, then press Use.");
  try {
    return await graphql(c, query, variables);
  } catch (error) {
    if (error.kind === "unauthenticated") {
      sessionStorage.removeItem(TOKEN); // a refused token is not tried again
      showSignedIn();
    }
    throw error;
  }
}

/** The time slider's range: the seed's days of communication, else from its first dated event. */
async function domainOf(seed) {
  try {
    const found = await ask(DAYS, { ids: [seed] });
    const domain = daysDomain(found.communications.daily.map((d) => d.date));
    if (domain) return domain;
  } catch (error) {
    if (error.kind !== "BAD_USER_INPUT") throw error; // not a phone, person or account
  }
  try {
    const found = await ask(FIRST_EVENT, { id: seed });
    const first = found.timeline.edges.find((e) => e.at);
    return first ? [Date.parse(first.at), Date.now()] : null;
  } catch (error) {
    if (error.kind !== "BAD_USER_INPUT") throw error;
    return null;
  }
}

/** An empty drawing: no nodes, legend, details, summary or export. */
function wipe() {
  chart.clear();
  legend();
  details(null);
  $("summary").textContent = "";
  $("export").disabled = true;
}

function failed(error) {
  if (!(error instanceof ApiError)) {
    tell(`The chart failed: ${error}. Reload the page; if it happens again, report it.`);
    setState("error");
    throw error; // to the console, with its stack
  }
  tell(error.message, error.kind === "signed-out" ? "info" : "error");
  setState("error");
}

async function draw() {
  const seed = $("entity").value.trim();
  if (!seed) {
    tell("Enter the ID of an entity (copy it from a search or a profile) to centre the chart on.", "info");
    setState("empty");
    return;
  }
  // The ID is the only thing the address holds: it can be shared; the token never is.
  history.replaceState(null, "", `/chart?id=${encodeURIComponent(seed)}`);
  const ticket = ++state.ticket;
  setState("loading");
  quiet();
  try {
    if (state.seed !== seed) {
      const domain = await domainOf(seed);
      if (ticket !== state.ticket) return;
      time.setDomain(domain);
      state.seed = seed;
    }
    const found = await ask(NETWORK, { ids: [seed], hops: Number($("hops").value), ...time.window() });
    if (ticket !== state.ticket) return; // a later request has taken over
    state.network = found.network;
    state.expanded = new Set();
    chart.draw(found.network, seed);
    if (found.network.nodes.length === 0) {
      tell("Nothing to show: there is no entity with this ID that you may read.", "info");
    }
    legend();
    details(null);
    summary();
    $("export").disabled = found.network.nodes.length === 0;
    setState("ready");
  } catch (error) {
    if (ticket !== state.ticket) return;
    wipe(); // a drawing of another window or entity beside the message would mislead
    failed(error);
  }
}

async function expand(node) {
  chart.choose(node);
  details(node);
  if (state.expanded.has(node.id())) return;
  state.expanded.add(node.id());
  const ticket = state.ticket;
  setState("loading");
  try {
    const found = await ask(EXPAND, { ids: [node.id()], ...time.window() });
    if (ticket !== state.ticket) return; // the chart was redrawn meanwhile
    const added = chart.merge(node, found.network);
    tell(`${added} node${added === 1 ? "" : "s"} added around ${caption(node.data())}.`, "info");
    legend();
    summary();
    setState("ready");
  } catch (error) {
    state.expanded.delete(node.id());
    if (ticket === state.ticket) failed(error);
  }
}

function swatch(colour, ring = null) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "swatch");
  svg.setAttribute("width", "14");
  svg.setAttribute("height", "14");
  const circle = document.createElementNS(SVG, "circle");
  for (const [name, value] of Object.entries({ cx: 7, cy: 7, r: ring ? 5 : 6, fill: colour })) {
    circle.setAttribute(name, String(value));
  }
  if (ring) {
    circle.setAttribute("stroke", ring);
    circle.setAttribute("stroke-width", "2.5");
  }
  svg.append(circle);
  return svg;
}

function item(list, mark, text) {
  const li = document.createElement("li");
  li.append(mark, document.createTextNode(text));
  list.append(li);
}

function legend() {
  const box = $("legend");
  box.replaceChildren();
  if (chart.communities.length === 0) return;
  const heading = document.createElement("h2");
  heading.textContent = "Communities";
  const list = document.createElement("ul");
  const distinct = chart.communities.slice(0, PALETTE.length);
  for (const c of distinct) item(list, swatch(c.colour), `community ${c.community}: ${c.count} nodes`);
  const rest = chart.communities.slice(PALETTE.length);
  if (rest.length) {
    const count = rest.reduce((sum, c) => sum + c.count, 0);
    item(list, swatch(OTHER), `${rest.length} smaller communities: ${count} nodes`);
  }
  const marks = document.createElement("ul");
  item(marks, swatch("#ffffff", "#1b1f24"), "the entity the chart is centred on");
  item(marks, swatch("#ffffff", "#8a1c12"), "key player (removing it fragments the network most)");
  if (chart.cy.nodes("[!measured]").length) item(marks, swatch(EXPANDED), "added by a click (not measured)");
  const sizing = document.createElement("p");
  sizing.className = "muted";
  sizing.textContent =
    `Size: ${$("measure").selectedOptions[0].textContent}. ` +
    "Line width: relationships and shared events (calls, sightings) between the two.";
  box.append(heading, list, marks, sizing);
}

function details(node) {
  const box = $("details");
  box.replaceChildren();
  if (!node) return;
  const d = node.data();
  const heading = document.createElement("h2");
  heading.textContent = d.caption;
  const list = document.createElement("dl");
  const rows = [["type", d.label], ["force", d.force], ["id", d.id]];
  if (d.measured) {
    rows.push(
      ["hops from centre", d.hop], ["community", d.community], ["degree", d.degree],
      ["weighted degree", d.weightedDegree], ["betweenness", d.betweenness.toFixed(4)],
      ["closeness", d.closeness.toFixed(4)], ["PageRank", d.pagerank.toFixed(4)],
      ["eigenvector", d.eigenvector.toFixed(4)], ["k-core", d.coreness],
      ["key player", d.keyPlayerRank == null ? "-" : `#${d.keyPlayerRank}`],
    );
  }
  for (const [name, value] of rows) {
    const dt = document.createElement("dt");
    dt.textContent = name;
    const dd = document.createElement("dd");
    dd.textContent = value == null ? "-" : String(value);
    list.append(dt, dd);
  }
  box.append(heading, list);
}

function summary() {
  const n = state.network;
  const drawn = chart.cy.nodes().length;
  const parts = [`${drawn} nodes and ${chart.cy.edges().length} ties drawn`];
  if (n.nodeCount > n.nodes.length) {
    parts.push(`the network has ${n.nodeCount} nodes: the ${n.nodes.length} of highest degree are drawn`);
  }
  parts.push(`${n.communityCount} communities`);
  if (n.estimated) parts.push("betweenness and closeness estimated (a large network)");
  $("summary").textContent = parts.join("; ") + ".";
}

async function exportPng() {
  const blob = await chart.png();
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `link-chart-${new Date().toISOString().slice(0, 10)}.png`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

const chart = new Chart($("cy"), expand);
const time = new TimeSlider(
  {
    fieldset: $("time"), since: $("since"), until: $("until"),
    sinceLabel: $("since-label"), untilLabel: $("until-label"), note: $("time-note"),
  },
  draw,
);
// For people reading the page with developer tools, and for the browser tests.
window.polegraphChart = chart;

$("signin").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("token").value.trim().replace(/^Bearer\s+/i, "");
  const purpose = $("purpose").value.trim();
  if (token) sessionStorage.setItem(TOKEN, token);
  if (purpose) sessionStorage.setItem(PURPOSE, purpose);
  $("token").value = "";
  showSignedIn();
  if (!credentials()) {
    tell("Both a token and a purpose are needed: every search is audited with its purpose.", "info");
    return;
  }
  if ($("entity").value.trim()) draw();
});
$("forget").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(PURPOSE);
  $("purpose").value = "";
  wipe();
  showSignedIn();
  setState("empty");
});
$("query").addEventListener("submit", (event) => {
  event.preventDefault();
  draw();
});
$("hops").addEventListener("change", () => state.seed && draw());
$("measure").addEventListener("change", () => {
  chart.size($("measure").value);
  legend();
});
$("export").addEventListener("click", () => exportPng().catch((e) => tell(`The PNG could not be made: ${e}`)));

$("entity").value = new URLSearchParams(window.location.search).get("id") || "";
showSignedIn();
time.setDomain(null);
if (!credentials()) {
  tell("Enter your token and the purpose of this search, then press Use.", "info");
} else if ($("entity").value) {
  draw();
}
