// The drawing: a cytoscape.js graph of the measured network, coloured by community and sized by
// the chosen measure, to which clicked nodes' neighbourhoods are merged.

import cytoscape from "cytoscape";
import { caption } from "./queries.js";

// Distinct colours for the largest communities (Tableau 10 and two more); the rest share one.
export const PALETTE = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
  "#e377c2", "#17becf", "#bcbd22", "#393b79", "#637939", "#7b4173",
];
export const OTHER = "#8d99a6";
export const EXPANDED = "#c7ccd1";
const SMALLEST = 18;
const LARGEST = 64;

export const MEASURES = [
  "degree", "weightedDegree", "betweenness", "closeness", "pagerank", "eigenvector", "coreness",
];

const STYLE = [
  {
    selector: "node",
    style: {
      "background-color": "data(colour)",
      width: "data(size)",
      height: "data(size)",
      label: "data(caption)",
      "font-size": 9,
      "font-family": "Liberation Sans, Arial, sans-serif",
      color: "#1b1f24",
      "text-valign": "bottom",
      "text-margin-y": 3,
      "text-wrap": "ellipsis",
      "text-max-width": "120px",
      "min-zoomed-font-size": 7,
      "border-width": 1,
      "border-color": "#ffffff",
    },
  },
  { selector: "node[?keyPlayer]", style: { "border-width": 3, "border-color": "#8a1c12" } },
  { selector: "node[?seed]", style: { "border-width": 4, "border-color": "#1b1f24" } },
  { selector: "node.chosen", style: { "border-width": 4, "border-color": "#f5b301" } },
  {
    selector: "edge",
    style: { width: "data(width)", "line-color": "#9aa5b1", "curve-style": "haystack", opacity: 0.7 },
  },
];

/** Edges are undirected ties: one per pair, whichever end the API names first. */
function edgeId(a, b) {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

function edgeData(edge) {
  return {
    id: edgeId(edge.sourceId, edge.targetId),
    source: edge.sourceId,
    target: edge.targetId,
    weight: edge.weight,
    width: Math.min(8, 1 + Math.log2(Math.max(1, edge.weight))),
  };
}

export class Chart {
  constructor(container, onTap) {
    this.cy = cytoscape({
      container,
      style: STYLE,
      autounselectify: true,
      minZoom: 0.05,
      maxZoom: 5,
    });
    this.measure = "degree";
    this.communities = [];
    this.cy.on("tap", "node", (event) => onTap(event.target));
  }

  clear() {
    this.cy.elements().remove();
    this.communities = [];
  }

  /** Replaces the drawing with `network` (the API's `network` answer) around `seed`. */
  draw(network, seed) {
    this.clear();
    // The largest communities among the nodes shown get the distinct colours, largest first.
    const sizes = new Map();
    for (const n of network.nodes) sizes.set(n.community, (sizes.get(n.community) || 0) + 1);
    this.communities = [...sizes.entries()]
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .map(([community, count], rank) => ({
        community, count, colour: rank < PALETTE.length ? PALETTE[rank] : OTHER,
      }));
    const colour = new Map(this.communities.map((c) => [c.community, c.colour]));
    const nodes = network.nodes.map(({ node, ...measures }) => ({
      group: "nodes",
      data: {
        ...measures,
        ...node,
        caption: caption(node),
        colour: colour.get(measures.community),
        measured: true,
        seed: node.id === seed,
        keyPlayer: measures.keyPlayerRank != null,
        size: SMALLEST,
      },
    }));
    const edges = network.edges.map((e) => ({ group: "edges", data: edgeData(e) }));
    this.cy.add([...nodes, ...edges]);
    this.size(this.measure);
    this.cy
      .layout({ name: "cose", animate: false, randomize: true, padding: 30, nodeRepulsion: () => 9000 })
      .run();
  }

  /** Merges the neighbourhood of `around` (an ``EXPAND`` answer); returns how many nodes it added. */
  merge(around, network) {
    const centre = around.position();
    const fresh = network.nodes.filter((n) => this.cy.getElementById(n.node.id).empty());
    const step = (2 * Math.PI) / Math.max(1, fresh.length);
    const radius = 60 + 6 * fresh.length;
    this.cy.add(
      fresh.map((n, i) => ({
        group: "nodes",
        data: {
          ...n.node,
          caption: caption(n.node),
          colour: EXPANDED,
          measured: false,
          seed: false,
          keyPlayer: false,
          size: SMALLEST,
        },
        position: { x: centre.x + radius * Math.cos(i * step), y: centre.y + radius * Math.sin(i * step) },
      })),
    );
    this.cy.add(
      network.edges
        .filter((e) => this.cy.getElementById(edgeId(e.sourceId, e.targetId)).empty())
        .map((e) => ({ group: "edges", data: edgeData(e) })),
    );
    return fresh.length;
  }

  /** Sizes the measured nodes by `measure`, smallest to largest value (merged nodes stay small). */
  size(measure) {
    this.measure = measure;
    const measured = this.cy.nodes("[?measured]");
    const values = measured.map((n) => Number(n.data(measure)) || 0);
    const low = Math.min(...values);
    const high = Math.max(...values);
    measured.forEach((n) => {
      const value = Number(n.data(measure)) || 0;
      const share = high > low ? (value - low) / (high - low) : 0.3;
      n.data("size", SMALLEST + share * (LARGEST - SMALLEST));
    });
  }

  choose(node) {
    this.cy.nodes(".chosen").removeClass("chosen");
    node.addClass("chosen");
  }

  /** The drawing as a PNG blob, the whole graph at twice the screen's resolution. */
  png() {
    return this.cy.png({ output: "blob-promise", full: true, scale: 2, bg: "#ffffff" });
  }
}
