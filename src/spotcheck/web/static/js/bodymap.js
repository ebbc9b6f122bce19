// A simple front/back body map: click the silhouette (or move the mark with the arrow keys) to
// say where a spot is. Its value is the API's bodySite: {view, x, y} with x and y from 0 to 1.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 100;
const HEIGHT = 200;
const STEP = 0.02; // one arrow-key press: 2 % of the figure
// A plain silhouette in a 100 x 200 box: head, neck, torso, arms and legs.
const SILHOUETTE =
  "M50 6a13 13 0 1 1 0 26a13 13 0 1 1 0-26z" +
  "M44 32h12v7h-12z" +
  "M30 39h40l10 4l10 50l-7 2l-10-42v38l2 18h-2l-3 78h-12l-2-60h-2l-2 60h-12l-3-78h-2l2-18v-38l-10 42l-7-2l10-50z";

/** @param {string} name @param {Record<string, string | number>} attributes */
function element(name, attributes) {
  const el = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) el.setAttribute(key, String(value));
  return el;
}

const clamp = (/** @type {number} */ value) => Math.min(1, Math.max(0, value));

/** @typedef {import("./api.js").BodySite} BodySite */

function describe(/** @type {BodySite | null} */ site) {
  if (!site) return "no mark yet";
  const side = site.view === "back" ? "back" : "front";
  return `mark on the ${side}, ${Math.round(site.x * 100)} % across and ${Math.round(site.y * 100)} % down`;
}

/** Words for where a spot is, for people who cannot see the map. */
export function bodySiteWords(/** @type {BodySite | null} */ site) {
  if (!site) return "";
  const side = site.view === "back" ? "Back" : "Front";
  const height = site.y < 0.2 ? "head or neck" : site.y < 0.5 ? "upper body or arms" : site.y < 0.62 ? "hips" : "legs";
  return `${side} of the body, ${height}.`;
}

/** A small picture of a saved spot's place (not interactive). */
export function bodySitePicture(/** @type {BodySite | null} */ site, /** @type {string} */ label) {
  const svg = element("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: "bodymap-svg bodymap-small", role: "img" });
  svg.setAttribute("aria-label", label);
  svg.append(element("path", { d: SILHOUETTE, class: "bodymap-body" }));
  if (site) svg.append(element("circle", { cx: site.x * WIDTH, cy: site.y * HEIGHT, r: 5, class: "bodymap-mark" }));
  return svg;
}

/** Wire the map in `container`, with its front/back radios (name `radioName`) and clear button. */
export function createBodyMap(/** @type {HTMLElement} */ container, /** @type {string} */ radioName, /** @type {HTMLElement} */ clearButton) {
  const radios = [...document.querySelectorAll(`input[name="${radioName}"]`)].filter((radio) => radio instanceof HTMLInputElement);
  const svg = element("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: "bodymap-svg",
    tabindex: 0,
    role: "application",
    "aria-roledescription": "body map",
    "aria-describedby": "bodymap-hint",
  });
  const body = element("path", { d: SILHOUETTE, class: "bodymap-body" });
  const mark = element("circle", { r: 5, class: "bodymap-mark" });
  svg.append(body, mark);
  container.replaceChildren(svg);
  /** @type {BodySite | null} */
  let site = null;

  /** @returns {BodySite["view"]} */
  const view = () => (radios.find((radio) => radio.checked)?.value === "back" ? "back" : "front");

  function draw() {
    mark.setAttribute("visibility", site ? "visible" : "hidden");
    if (site) {
      mark.setAttribute("cx", String(site.x * WIDTH));
      mark.setAttribute("cy", String(site.y * HEIGHT));
    }
    svg.setAttribute("aria-label", `Body map, ${view()}: ${describe(site)}`);
    svg.classList.toggle("is-back", view() === "back");
    clearButton.hidden = !site;
  }

  function place(/** @type {number} */ x, /** @type {number} */ y) {
    site = { view: view(), x: Math.round(clamp(x) * 1000) / 1000, y: Math.round(clamp(y) * 1000) / 1000 };
    draw();
  }

  svg.addEventListener("click", (/** @type {MouseEvent} */ event) => {
    const box = svg.getBoundingClientRect();
    place((event.clientX - box.left) / box.width, (event.clientY - box.top) / box.height);
  });
  svg.addEventListener("keydown", (/** @type {KeyboardEvent} */ event) => {
    /** @type {Record<string, [number, number]>} */
    const moves = { ArrowLeft: [-STEP, 0], ArrowRight: [STEP, 0], ArrowUp: [0, -STEP], ArrowDown: [0, STEP] };
    if (Object.hasOwn(moves, event.key)) {
      const [dx, dy] = moves[event.key];
      const from = site ?? { x: 0.5, y: 0.3 };
      place(from.x + (site ? dx : 0), from.y + (site ? dy : 0));
      event.preventDefault();
    } else if (event.key === "Enter" || event.key === " ") {
      if (!site) place(0.5, 0.3);
      event.preventDefault();
    } else if (event.key === "Delete" || event.key === "Backspace") {
      site = null;
      draw();
      event.preventDefault();
    }
  });
  for (const radio of radios) {
    radio.addEventListener("change", () => {
      if (site) site = { ...site, view: view() };
      draw();
    });
  }
  clearButton.addEventListener("click", () => {
    site = null;
    draw();
    svg.focus();
  });
  draw();

  return {
    value: () => (site ? { ...site } : null),
    reset() {
      site = null;
      radios.forEach((radio) => (radio.checked = radio.value === "front"));
      draw();
    },
  };
}
