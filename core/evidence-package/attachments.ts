import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  PDFRawStream,
  PDFString,
  decodePDFRawStream,
} from 'pdf-lib';

/** A file attached to a PDF (its EmbeddedFiles name tree). */
export interface PdfAttachment {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Attachments held at most: a package has one. */
const MAX_ATTACHMENTS = 16;

function leaves(node: PDFDict, depth: number, out: PdfAttachment[]): void {
  if (depth > 8 || out.length >= MAX_ATTACHMENTS) return;
  const kids = node.lookupMaybe(PDFName.of('Kids'), PDFArray);
  for (let i = 0; kids && i < kids.size(); i++) {
    const kid = kids.lookup(i);
    if (kid instanceof PDFDict) leaves(kid, depth + 1, out);
  }
  const names = node.lookupMaybe(PDFName.of('Names'), PDFArray);
  for (let i = 0; names && i + 1 < names.size() && out.length < MAX_ATTACHMENTS; i += 2) {
    const key = names.lookup(i);
    const spec = names.lookup(i + 1);
    if (!(spec instanceof PDFDict) || !(key instanceof PDFString || key instanceof PDFHexString)) continue;
    const ef = spec.lookupMaybe(PDFName.of('EF'), PDFDict);
    const stream = ef?.lookup(PDFName.of('F'));
    if (stream instanceof PDFRawStream)
      out.push({ name: key.decodeText(), bytes: decodePDFRawStream(stream).decode() });
  }
}

/** The files attached to a PDF, in name-tree order; none when it has none. Throws if not a PDF. */
export async function pdfAttachments(pdf: Uint8Array): Promise<PdfAttachment[]> {
  const doc = await PDFDocument.load(pdf, { updateMetadata: false });
  const names = doc.catalog.lookupMaybe(PDFName.of('Names'), PDFDict);
  const tree = names?.lookupMaybe(PDFName.of('EmbeddedFiles'), PDFDict);
  const out: PdfAttachment[] = [];
  if (tree) leaves(tree, 0, out);
  return out;
}

/** True when the bytes start like a PDF file. */
export const isPdf = (head: Uint8Array): boolean => Buffer.from(head.subarray(0, 5)).toString('latin1') === '%PDF-';
