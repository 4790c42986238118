// A small 3D viewer on a 2D canvas: the unit cell and its sites, turned with the mouse.
// Each site is a disc whose area follows its share of the model's attention; a partially
// occupied site is drawn as slices, one per element, the vacant part in grey.
"use strict";

const ELEMENT_COLOURS = {
  H: "#dddddd", Li: "#cc80ff", B: "#ffb5b5", C: "#606060", N: "#3050f8", O: "#ff0d0d",
  F: "#90e050", Na: "#ab5cf2", Mg: "#8aff00", Al: "#bfa6a6", Si: "#f0c8a0", P: "#ff8000",
  S: "#e0c000", Cl: "#1ff01f", K: "#8f40d4", Ca: "#3dff00", Ti: "#bfc2c7", V: "#a6a6ab",
  Fe: "#e06633", Co: "#f090a0", Ni: "#50d050", Cu: "#c88033", Zn: "#7d80b0", As: "#bd80e3",
  Se: "#ffa100", Sr: "#00ff00", Y: "#94ffff", Nb: "#73c2c9", Ba: "#00c900", La: "#70d4ff",
  Bi: "#9e4fb5", Pb: "#575961", Hg: "#b8b8d0", Tl: "#a6544d", Sn: "#668080",
};
const VACANT = "#e4e4e4";
const MIN_RADIUS = 4, MAX_RADIUS = 22;

function elementColour(symbol) {
  if (ELEMENT_COLOURS[symbol]) return ELEMENT_COLOURS[symbol];
  let hash = 0;
  for (const c of symbol) hash = (hash * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${hash}, 60%, 55%)`;
}

class StructureViewer {
  constructor(canvas) {
    this.canvas = canvas;
    this.context = canvas.getContext("2d");
    this.yaw = 0.6; this.pitch = 0.35; this.zoom = 1;
    this.view = null;
    let dragging = null;
    canvas.addEventListener("mousedown", (e) => { dragging = [e.clientX, e.clientY]; });
    window.addEventListener("mouseup", () => { dragging = null; });
    window.addEventListener("mousemove", (e) => {
      if (!dragging) return;
      this.yaw += (e.clientX - dragging[0]) * 0.01;
      this.pitch += (e.clientY - dragging[1]) * 0.01;
      dragging = [e.clientX, e.clientY];
      this.draw();
    });
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom *= e.deltaY < 0 ? 1.1 : 0.9;
      this.draw();
    }, { passive: false });
  }

  show(view) { this.view = view; this.draw(); }

  rotate([x, y, z]) {
    const [cy, sy, cp, sp] = [Math.cos(this.yaw), Math.sin(this.yaw), Math.cos(this.pitch), Math.sin(this.pitch)];
    const x1 = cy * x + sy * z, z1 = -sy * x + cy * z;
    return [x1, cp * y - sp * z1, sp * y + cp * z1];
  }

  draw() {
    const { canvas, context: g, view } = this;
    g.clearRect(0, 0, canvas.width, canvas.height);
    if (!view || !view.lattice) return;
    const [a, b, c] = view.lattice;
    const corner = (i, j, k) => [0, 1, 2].map((d) => i * a[d] + j * b[d] + k * c[d]);
    const centre = corner(0.5, 0.5, 0.5);
    const shift = (p) => this.rotate(p.map((x, d) => x - centre[d]));
    const corners = [];
    for (const i of [0, 1]) for (const j of [0, 1]) for (const k of [0, 1]) corners.push(shift(corner(i, j, k)));
    const extent = Math.max(...corners.map((p) => Math.hypot(p[0], p[1])), 1);
    const scale = (0.42 * Math.min(canvas.width, canvas.height) / extent) * this.zoom;
    const screen = (p) => [canvas.width / 2 + p[0] * scale, canvas.height / 2 - p[1] * scale];
    g.strokeStyle = "#888"; g.lineWidth = 1;
    for (let m = 0; m < 8; m++) for (const bit of [1, 2, 4]) {
      if (m & bit) continue;
      const [p, q] = [screen(corners[m]), screen(corners[m | bit])];
      g.beginPath(); g.moveTo(...p); g.lineTo(...q); g.stroke();
    }
    const shares = view.sites.map((s) => s.importance_percent).filter((x) => x !== null);
    const largest = shares.length ? Math.max(...shares) : 0;
    const sites = view.sites.map((site) => ({ site, p: shift(site.xyz) })).sort((s, t) => s.p[2] - t.p[2]);
    for (const { site, p } of sites) {
      const share = site.importance_percent;
      const fraction = share === null || largest <= 0 ? 0.5 : Math.sqrt(share / largest);
      const radius = MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * fraction;
      const [x, y] = screen(p);
      let angle = -Math.PI / 2;
      const total = Object.values(site.species).reduce((s, v) => s + v, 0);
      const slices = [...Object.entries(site.species), ["", Math.max(0, 1 - total)]];
      for (const [element, amount] of slices) {
        if (amount <= 0) continue;
        g.beginPath(); g.moveTo(x, y);
        g.arc(x, y, radius, angle, angle + amount * 2 * Math.PI);
        g.closePath();
        g.fillStyle = element ? elementColour(element) : VACANT;
        g.fill();
        angle += amount * 2 * Math.PI;
      }
      g.beginPath(); g.arc(x, y, radius, 0, 2 * Math.PI); g.strokeStyle = "#333"; g.stroke();
    }
  }
}

function legendHtml(view) {
  const elements = new Set();
  for (const site of view.sites) for (const e of Object.keys(site.species)) elements.add(e);
  return [...elements].sort().map((e) => `<span><i style="background:${elementColour(e)}"></i>${e}</span>`).join("")
    + `<span><i style="background:${VACANT}"></i>vacant</span>`;
}
