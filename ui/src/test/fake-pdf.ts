/**
 * Stands in for `lib/pdf.ts` (pdf.js) in tests, which jsdom could not draw anyway. A test
 * file mocks the module with it:
 *
 *     vi.mock('../lib/pdf', () => import('../test/fake-pdf'));
 *
 * and sets `fakePdf.pages` (each page's lines of text) or `fakePdf.error` (what opening
 * rejects with). Its text layer is like pdf.js's: a `<span>` per line, a `<br>` after each.
 */

export const fakePdf = {
  /** The pages, each as its lines of text. */
  pages: [['Page one.'], ['Page two.'], ['Page three.']] as string[][],
  /** What opening the PDF rejects with, if anything. */
  error: null as Error | null,
  /** The bytes each opening was given. */
  opened: [] as ArrayBuffer[],
  /** The pages drawn on a canvas, in order, with the scale. */
  drawn: [] as Array<{ page: number; scale: number }>,
  destroyed: 0,
  reset() {
    this.pages = [['Page one.'], ['Page two.'], ['Page three.']];
    this.error = null;
    this.opened = [];
    this.drawn = [];
    this.destroyed = 0;
  },
};

interface Viewport {
  width: number;
  height: number;
  scale: number;
}

function page(number: number) {
  return {
    getViewport({ scale }: { scale: number }): Viewport {
      return { width: 600 * scale, height: 800 * scale, scale };
    },
    render({ viewport }: { canvas: HTMLCanvasElement; viewport: Viewport }) {
      fakePdf.drawn.push({ page: number, scale: viewport.scale });
      return { promise: Promise.resolve(), cancel() {} };
    },
    streamTextContent() {
      return { lines: fakePdf.pages[number - 1] ?? [] };
    },
  };
}

export function openPdf(bytes: ArrayBuffer) {
  fakePdf.opened.push(bytes);
  const document = {
    numPages: fakePdf.pages.length,
    getPage: async (number: number) => page(number),
    destroy: async () => {
      fakePdf.destroyed += 1;
    },
  };
  return {
    promise: fakePdf.error ? Promise.reject(fakePdf.error) : Promise.resolve(document),
    destroy: async () => undefined,
  };
}

export class TextLayer {
  readonly #lines: string[];
  readonly #container: HTMLElement;

  constructor({ textContentSource, container }: { textContentSource: { lines: string[] }; container: HTMLElement }) {
    this.#lines = textContentSource.lines;
    this.#container = container;
  }

  async render(): Promise<void> {
    for (const line of this.#lines) {
      const span = document.createElement('span');
      span.setAttribute('role', 'presentation');
      span.textContent = line;
      this.#container.append(span, document.createElement('br'));
    }
  }

  cancel(): void {}
}

/** A pdf.js error of the kind pdf.js names (`PasswordException`, `InvalidPDFException`). */
export function pdfError(name: string, message = 'pdf.js said no'): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
