// The in-page PDF viewer of the preview page: pdf.js (static/vendor/pdfjs, pdfjs-dist 4.10.38)
// with its viewer component for paging, zoom and find-in-document. The rendition is polled
// while the worker makes it (202), a 415 shows "no preview". No inline code: the page's CSP
// allows scripts from this origin only; the PDF worker is a module from the same folder.
const root = document.getElementById("pdf-preview");
const vendor = root.dataset.vendor;
const status = root.querySelector(".pdf-status");
const say = (text) => { status.textContent = text; };

async function fetchPdf(url) {
  for (let i = 0; i < 150; i++) {
    const r = await fetch(url, { credentials: "same-origin" });
    if (r.status === 200) return new Uint8Array(await r.arrayBuffer());
    if (r.status === 202) { say(root.dataset.pending); await new Promise((ok) => setTimeout(ok, 2000)); continue; }
    let message = root.dataset.failed;
    try { const body = await r.json(); if (body.error && body.error.message) message = body.error.message; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  throw new Error(root.dataset.pending);
}

async function main() {
  const pdfjsLib = await import(vendor + "build/pdf.min.mjs");
  globalThis.pdfjsLib = pdfjsLib;  // the viewer component reads the library from here
  const viewerLib = await import(vendor + "web/pdf_viewer.mjs");
  pdfjsLib.GlobalWorkerOptions.workerSrc = vendor + "build/pdf.worker.min.mjs";
  const data = await fetchPdf(root.dataset.src);
  const container = root.querySelector(".pdf-frame");
  const eventBus = new viewerLib.EventBus();
  const linkService = new viewerLib.PDFLinkService({ eventBus });
  const findController = new viewerLib.PDFFindController({ eventBus, linkService });
  const viewer = new viewerLib.PDFViewer({ container, eventBus, linkService, findController,
                                           removePageBorders: false, textLayerMode: 1 });
  linkService.setViewer(viewer);
  const doc = await pdfjsLib.getDocument({ data, isEvalSupported: false, cMapUrl: vendor + "cmaps/",
                                           cMapPacked: true, standardFontDataUrl: vendor + "standard_fonts/" }).promise;
  viewer.setDocument(doc);
  linkService.setDocument(doc, null);
  const pageInput = root.querySelector(".pdf-page");
  root.querySelector(".pdf-count").textContent = doc.numPages;
  pageInput.max = doc.numPages;
  root.dataset.pages = doc.numPages;
  say("");
  eventBus.on("pagesinit", () => { viewer.currentScaleValue = "page-width"; });
  eventBus.on("pagerendered", (e) => { if (e.pageNumber === 1) root.dataset.rendered = "1"; });
  eventBus.on("pagechanging", (e) => { pageInput.value = e.pageNumber; });
  eventBus.on("updatefindmatchescount", (e) => {
    say(e.matchesCount.total ? `${e.matchesCount.current} / ${e.matchesCount.total}` : "");
  });
  eventBus.on("updatefindcontrolstate", (e) => {
    if (e.state === 1) say(root.dataset.notfound);  // FindState.NOT_FOUND
    else if (e.matchesCount && e.matchesCount.total) say(`${e.matchesCount.current} / ${e.matchesCount.total}`);
  });
  pageInput.addEventListener("change", () => {
    const n = Math.min(doc.numPages, Math.max(1, parseInt(pageInput.value, 10) || 1));
    viewer.currentPageNumber = n;
  });
  const find = root.querySelector(".pdf-find");
  const search = (again) => eventBus.dispatch("find", { source: find, type: again ? "again" : "",
    query: find.value, caseSensitive: false, entireWord: false, highlightAll: true, findPrevious: false });
  find.addEventListener("input", () => search(false));
  find.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); search(true); } });
  const actions = {
    prev: () => { viewer.currentPageNumber = Math.max(1, viewer.currentPageNumber - 1); },
    next: () => { viewer.currentPageNumber = Math.min(doc.numPages, viewer.currentPageNumber + 1); },
    zoomin: () => { viewer.currentScale = Math.min(4, viewer.currentScale * 1.25); },
    zoomout: () => { viewer.currentScale = Math.max(0.25, viewer.currentScale / 1.25); },
    fit: () => { viewer.currentScaleValue = "page-width"; },
    findnext: () => search(true),
  };
  root.querySelectorAll("button[data-act]").forEach((b) => b.addEventListener("click", actions[b.dataset.act]));
  window.addEventListener("resize", () => { if (viewer.currentScaleValue === "page-width") viewer.currentScaleValue = "page-width"; });
  root.dataset.ready = "1";
}

main().catch((err) => { root.dataset.error = "1"; say(err.message || String(err)); });
