/**
 * pdf.js, for the document viewer. Imported only with `import()`, so that it (about half a
 * megabyte) is its own file that only the viewer of a PDF loads.
 *
 * Its "legacy" build: the same API, with fallbacks for what only the newest engines have
 * (`Map.prototype.getOrInsertComputed`, `Promise.try`, iterator helpers…), which the modern
 * build calls without them: an older Safari or Firefox ESR, and the webview of the desktop
 * app (WebKitGTK on Linux), would fail to show a PDF.
 *
 * Set up for Docent's content security policy (`default-src 'self'`, no 'unsafe-eval', and in
 * the desktop app no `connect-src 'self'`): the worker is a file of this build, served from
 * the app's own origin; no code is compiled from strings (`isEvalSupported: false`); no
 * WebAssembly (it needs 'wasm-unsafe-eval'); and nothing is fetched: the PDF's bytes come
 * from the `Api`, and fonts a PDF does not embed are the system's (`useSystemFonts`) rather
 * than files pdf.js would download.
 */

import { getDocument, GlobalWorkerOptions, TextLayer, type PDFDocumentProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import workerUrl from 'pdfjs-dist/legacy/build/pdf.worker.min.mjs?url';

GlobalWorkerOptions.workerSrc = workerUrl;

export { TextLayer };
export type { PDFDocumentProxy, PDFPageProxy, PageViewport, RenderTask } from 'pdfjs-dist/legacy/build/pdf.mjs';

/** Opens a PDF from its bytes (which pdf.js takes over: pass a copy to keep them). */
export function openPdf(bytes: ArrayBuffer): { promise: Promise<PDFDocumentProxy>; destroy(): Promise<void> } {
  const task = getDocument({
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    useSystemFonts: true,
    useWasm: false,
    enableXfa: false,
    stopAtErrors: false,
  });
  return { promise: task.promise, destroy: () => task.destroy() };
}
