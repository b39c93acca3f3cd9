import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import type { PDFFont, PDFPage, RGB } from 'pdf-lib';

/** A4 in points, with 48 pt margins. */
export const PAGE = { width: 595.28, height: 841.89, margin: 48 } as const;
export const CONTENT_WIDTH = PAGE.width - 2 * PAGE.margin;

export const INK = rgb(0.1, 0.12, 0.14);
export const MUTED = rgb(0.38, 0.4, 0.44);

export interface Fonts {
  readonly regular: PDFFont;
  readonly bold: PDFFont;
  readonly mono: PDFFont;
}

/**
 * Flowing text on A4 pages for the evidence package: a cursor that wraps words to the width,
 * starts a new page when the next line would not fit, and numbers the pages at the end. The
 * standard fonts encode WinAnsi only, so any other character is replaced, never a thrown error.
 */
export class PdfWriter {
  page!: PDFPage;
  y = 0;
  readonly #charsets = new Map<PDFFont, Set<number>>();

  private constructor(
    readonly doc: PDFDocument,
    readonly fonts: Fonts,
    readonly footer: string,
  ) {
    this.newPage();
  }

  static async create(footer: string): Promise<PdfWriter> {
    const doc = await PDFDocument.create();
    const fonts = {
      regular: await doc.embedFont(StandardFonts.Helvetica),
      bold: await doc.embedFont(StandardFonts.HelveticaBold),
      mono: await doc.embedFont(StandardFonts.Courier),
    };
    return new PdfWriter(doc, fonts, footer);
  }

  newPage(): void {
    this.page = this.doc.addPage([PAGE.width, PAGE.height]);
    this.y = PAGE.height - PAGE.margin;
  }

  /** Room for `height` more points on this page, else a new page. */
  ensure(height: number): void {
    if (this.y - height < PAGE.margin + 20) this.newPage();
  }

  /** The text with characters the font cannot encode replaced by "?" ("✓" becomes "OK"). */
  safe(text: string, font: PDFFont): string {
    let set = this.#charsets.get(font);
    if (!set) this.#charsets.set(font, (set = new Set(font.getCharacterSet())));
    const plain = text.replace(/✓/g, 'OK').replace(/✗/g, 'X').replace(/[→]/g, '->').replace(/\t/g, ' ');
    return [...plain].map((c) => (set.has(c.codePointAt(0)!) ? c : '?')).join('');
  }

  /** Splits text into lines no wider than `width`; words longer than a line are cut. */
  wrap(text: string, font: PDFFont, size: number, width = CONTENT_WIDTH): string[] {
    const lines: string[] = [];
    for (const paragraph of text.split('\n').map((t) => this.safe(t, font))) {
      let line = '';
      for (const word of paragraph.split(' ')) {
        const candidate = line ? `${line} ${word}` : word;
        if (font.widthOfTextAtSize(candidate, size) <= width) {
          line = candidate;
          continue;
        }
        if (line) lines.push(line);
        line = word;
        while (font.widthOfTextAtSize(line, size) > width) {
          let cut = line.length - 1;
          while (cut > 1 && font.widthOfTextAtSize(line.slice(0, cut), size) > width) cut -= 1;
          lines.push(line.slice(0, cut));
          line = line.slice(cut);
        }
      }
      lines.push(line);
    }
    return lines;
  }

  text(
    text: string,
    options: { font?: PDFFont; size?: number; color?: RGB; indent?: number; gapAfter?: number } = {},
  ): void {
    const { font = this.fonts.regular, size = 10, color = INK, indent = 0, gapAfter = 2 } = options;
    const leading = size * 1.3;
    for (const line of this.wrap(text, font, size, CONTENT_WIDTH - indent)) {
      this.ensure(leading);
      this.y -= leading;
      this.page.drawText(line, { x: PAGE.margin + indent, y: this.y + size * 0.25, size, font, color });
    }
    this.y -= gapAfter;
  }

  heading(text: string, level: 1 | 2 = 2): void {
    const size = level === 1 ? 18 : 13;
    this.ensure(size * 3);
    this.y -= level === 1 ? 0 : 10;
    this.text(text, { font: this.fonts.bold, size, gapAfter: 6 });
  }

  /** "Label: value" rows with the labels in a column. */
  facts(rows: readonly (readonly [string, string])[], labelWidth = 140): void {
    for (const [label, value] of rows) {
      const lines = this.wrap(value, this.fonts.regular, 10, CONTENT_WIDTH - labelWidth);
      this.ensure(13 * lines.length);
      this.page.drawText(this.safe(label, this.fonts.bold), {
        x: PAGE.margin,
        y: this.y - 13 + 2.5,
        size: 10,
        font: this.fonts.bold,
        color: INK,
      });
      for (const line of lines) {
        this.y -= 13;
        this.page.drawText(line, { x: PAGE.margin + labelWidth, y: this.y + 2.5, size: 10, font: this.fonts.regular });
      }
      this.y -= 2;
    }
  }

  /** Page numbers and the footer on every page; then the bytes. */
  async finish(): Promise<Uint8Array> {
    const pages = this.doc.getPages();
    for (const [i, page] of pages.entries()) {
      page.drawText(this.safe(`${this.footer} - page ${i + 1} of ${pages.length}`, this.fonts.regular), {
        x: PAGE.margin,
        y: PAGE.margin / 2,
        size: 8,
        font: this.fonts.regular,
        color: MUTED,
      });
    }
    return this.doc.save();
  }
}
