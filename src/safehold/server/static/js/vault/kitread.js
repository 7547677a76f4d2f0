// Reading an Emergency Kit in the page (spec §8): a kit PDF (the CLI's or the reset
// page's) is drawn by the vendored pdf.js, a photo is drawn as it is, and the vendored
// jsQR finds the QR code. Nothing leaves the page: the file is read here, not uploaded.
//
// parseKitUri reads `safehold://kit?v=1&server=…&email=…&key=…` as KitPayload.from_uri:
// only %XX escapes are decoded (a "+" is a plus sign), another scheme, host or version, a
// missing or repeated field and a broken escape are refused, and the key's checksum is
// checked (parseAccountKey).

import { parseAccountKey } from "../protocol.js";

export class KitReadError extends Error {
  constructor(message) {
    super(message);
    this.name = "KitReadError";
  }
}

function percentDecode(text) {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) throw new KitReadError("the kit's QR code has a broken %-escape");
  const bytes = [];
  for (let i = 0; i < text.length; ) {
    if (text[i] === "%") {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const cp = text.codePointAt(i);
      const ch = String.fromCodePoint(cp);
      bytes.push(...new TextEncoder().encode(ch));
      i += ch.length;
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
  } catch {
    throw new KitReadError("the kit's QR code holds text that is not UTF-8");
  }
}

/** {server, email, accountKeyText} from a kit URI; KitReadError if it is not one. */
export function parseKitUri(uri) {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)\/?\?([^#]*)$/.exec(String(uri).trim());
  if (!m || m[1].toLowerCase() !== "safehold" || m[2].toLowerCase() !== "kit") {
    throw new KitReadError("the QR code is not a Safehold Emergency Kit");
  }
  const fields = new Map();
  for (const part of m[3].split("&")) {
    if (!part) continue;
    const eq = part.indexOf("=");
    const key = percentDecode(eq < 0 ? part : part.slice(0, eq));
    const value = percentDecode(eq < 0 ? "" : part.slice(eq + 1));
    if (fields.has(key)) throw new KitReadError(`the kit's QR code names '${key}' twice`);
    fields.set(key, value);
  }
  if (fields.get("v") !== "1") throw new KitReadError("this Emergency Kit is of a version this page does not read");
  for (const name of ["server", "email", "key"]) {
    if (!fields.get(name)) throw new KitReadError(`the kit's QR code has no ${name}`);
  }
  try {
    parseAccountKey(fields.get("key"));
  } catch (err) {
    throw new KitReadError(`the account key in the kit is damaged: ${err.message}`);
  }
  return { server: fields.get("server"), email: fields.get("email"), accountKeyText: fields.get("key") };
}

let jsQR = null;
async function loadJsQR() {
  if (!jsQR) {
    const mod = await import(new URL("../../vendor/jsqr/jsQR.js", import.meta.url).href);
    jsQR = globalThis.jsQR ?? mod.default;
    if (typeof jsQR !== "function") throw new KitReadError("the QR code reader did not load; reload the page");
  }
  return jsQR;
}

async function pdfCanvases(bytes) {
  const pdfjs = await import(new URL("../../vendor/pdfjs/pdf.min.js", import.meta.url).href);
  pdfjs.GlobalWorkerOptions.workerSrc = new URL("../../vendor/pdfjs/pdf.worker.min.js", import.meta.url).href;
  let doc;
  try {
    doc = await pdfjs.getDocument({ data: bytes, isEvalSupported: false, disableFontFace: true, useSystemFonts: false, stopAtErrors: false }).promise;
  } catch {
    throw new KitReadError("this PDF cannot be opened");
  }
  const out = [];
  try {
    for (let n = 1; n <= Math.min(doc.numPages, 2); n++) {
      const page = await doc.getPage(n);
      // About 200 dpi, as the CLI reads a kit PDF.
      const viewport = page.getViewport({ scale: 200 / 72 });
      const canvas = document.createElement("canvas");
      canvas.width = Math.ceil(viewport.width);
      canvas.height = Math.ceil(viewport.height);
      const ctx = canvas.getContext("2d", { willReadFrequently: true });
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      await page.render({ canvasContext: ctx, viewport }).promise;
      out.push(canvas);
    }
  } finally {
    await doc.destroy();
  }
  return out;
}

async function imageCanvases(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new KitReadError("this file is neither a PDF nor an image this browser can read");
  }
  const out = [];
  // A phone photo is large and the code small in it: try it as it is and scaled down.
  for (const max of [2000, 1000, 4000]) {
    const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    out.push(canvas);
  }
  bitmap.close();
  return out;
}

/** The kit in `file` (a File from an <input type=file>): {server, email, accountKeyText}. */
export async function readKitFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const isPdf = bytes.length > 5 && new TextDecoder().decode(bytes.subarray(0, 5)) === "%PDF-";
  const canvases = isPdf ? await pdfCanvases(bytes) : await imageCanvases(file);
  const decode = await loadJsQR();
  let found = null;
  for (const canvas of canvases) {
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const hit = decode(data, width, height, { inversionAttempts: "attemptBoth" });
    canvas.width = 0; // release the pixels
    if (hit?.data) {
      found = hit.data;
      if (found.startsWith("safehold:")) break;
    }
  }
  if (found === null) throw new KitReadError("no QR code found; scan or photograph the kit again, flat and in focus");
  return parseKitUri(found);
}
