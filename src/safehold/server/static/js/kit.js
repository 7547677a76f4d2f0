// The Emergency Kit in the browser (spec §8): the QR code of the kit URI and a one-page PDF
// with the server URL, the email, the account key, the QR code and a blank line for the
// password. Everything is built here; nothing is sent anywhere.
//
// The PDF writer is deliberately tiny: one page, the standard Helvetica and Courier fonts
// (which every PDF reader has, so nothing is embedded), text lines, and the QR code drawn
// as filled rectangles. The file stays pure ASCII, so byte offsets equal string offsets.

import qrcode from "../vendor/qrcode-generator/qrcode.js";

/** The QR code of `text` as a square boolean matrix (error correction level M). */
export function qrMatrix(text) {
  const qr = qrcode(0, "M"); // 0: the smallest version that fits
  qr.addData(text, "Byte");
  qr.make();
  const n = qr.getModuleCount();
  return Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => qr.isDark(r, c)));
}

// Dark modules merged into horizontal runs: [row, column, length]. Fewer, larger shapes
// than one per module, and no hairlines between neighbours when rendered.
function darkRuns(matrix) {
  const runs = [];
  matrix.forEach((row, r) => {
    for (let c = 0; c < row.length; c++) {
      if (!row[c]) continue;
      let end = c;
      while (end + 1 < row.length && row[end + 1]) end++;
      runs.push([r, c, end - c + 1]);
      c = end;
    }
  });
  return runs;
}

/**
 * An <svg> element drawing `matrix` with a 4-module quiet zone. Built with DOM calls and
 * presentation attributes only: the page's Content-Security-Policy forbids inline styles.
 */
export function qrSvg(matrix, { document = globalThis.document, label = "QR code" } = {}) {
  const ns = "http://www.w3.org/2000/svg";
  const size = matrix.length + 8;
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("shape-rendering", "crispEdges");
  const bg = document.createElementNS(ns, "rect");
  bg.setAttribute("width", String(size));
  bg.setAttribute("height", String(size));
  bg.setAttribute("fill", "#fff");
  svg.appendChild(bg);
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", darkRuns(matrix).map(([r, c, len]) => `M${c + 4} ${r + 4}h${len}v1h-${len}z`).join(""));
  path.setAttribute("fill", "#000");
  svg.appendChild(path);
  return svg;
}

// --- PDF -------------------------------------------------------------------------------

// WinAnsiEncoding equals Latin-1 for U+0020..U+007E and U+00A0..U+00FF; other characters
// cannot be shown with the standard fonts and become "?". (The QR code always carries the
// exact values, percent-encoded.)
function pdfString(text) {
  let out = "(";
  for (const ch of text) {
    const code = ch.codePointAt(0);
    if (ch === "(" || ch === ")" || ch === "\\") out += "\\" + ch;
    else if (code >= 0x20 && code <= 0x7e) out += ch;
    else if (code >= 0xa0 && code <= 0xff) out += "\\" + code.toString(8).padStart(3, "0");
    else out += "?";
  }
  return out + ")";
}

const num = (x) => (Math.round(x * 100) / 100).toString();

/**
 * A one-page A4 PDF (Uint8Array) with the kit's contents.
 * `kit` = { server, email, accountKeyText, uri, created } where `created` is a Date.
 */
export function kitPdf(kit) {
  const W = 595.28; // A4 in points
  const H = 841.89;
  const left = 56;
  const ops = [];
  const text = (font, size, x, y, s) => ops.push(`BT /${font} ${size} Tf ${num(x)} ${num(y)} Td ${pdfString(s)} Tj ET`);

  text("F2", 24, left, H - 80, "Safehold Emergency Kit");
  text("F1", 10, left, H - 100, `Created ${kit.created.toISOString().slice(0, 10)}. Keep it safe: printed, in a drawer at home.`);

  let y = H - 150;
  const field = (label, value, font = "F1", size = 13) => {
    text("F2", 10, left, y, label.toUpperCase());
    text(font, size, left, y - 18, value);
    y -= 52;
  };
  field("Server", kit.server);
  field("Email address", kit.email);
  field("Account key", kit.accountKeyText, "F3", 15);

  // The password is never printed: a blank line on which to write it by hand.
  text("F2", 10, left, y, "ACCOUNT PASSWORD");
  ops.push(`0.5 w ${num(left)} ${num(y - 24)} m ${num(left + 300)} ${num(y - 24)} l S`);
  y -= 60;

  // The QR code, 170 pt wide, with its quiet zone.
  const matrix = qrMatrix(kit.uri);
  const cell = 170 / (matrix.length + 8);
  const qrLeft = left;
  const qrTop = y;
  const rects = darkRuns(matrix).map(
    ([r, c, len]) => `${num(qrLeft + (c + 4) * cell)} ${num(qrTop - (r + 5) * cell)} ${num(len * cell)} ${num(cell)} re`,
  );
  ops.push("0 0 0 rg", rects.join("\n"), "f");
  const captionX = qrLeft + 190;
  text("F1", 10, captionX, qrTop - 40, "Scan this code when you sign in on a new device.");
  text("F1", 10, captionX, qrTop - 55, "It holds the server, the email and the account key,");
  text("F1", 10, captionX, qrTop - 70, "never the password.");
  y = qrTop - 200;

  for (const line of [
    "Your account password and your account key together open your vault. Safehold never",
    "has either of them and cannot recover them for you. Anyone who has this kit and",
    "learns your password can open your vault: keep the two apart.",
    "",
    // A command that works on a new device too: it names the server, and the key is typed
    // at the command's hidden prompt (or read from this file with --kit), never an argument.
    "To sign in on any device:  safehold --server " + kit.server + " login " + kit.email,
    "(it asks for the account key and the password), or:  safehold login " + kit.email + " --kit FILE",
  ]) {
    text("F1", 11, left, y, line);
    y -= 16;
  }

  const content = ops.join("\n");
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${W} ${H}] ` +
      "/Resources << /Font << /F1 4 0 R /F2 5 0 R /F3 6 0 R >> >> /Contents 7 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Courier-Bold /Encoding /WinAnsiEncoding >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    `<< /Title ${pdfString("Safehold Emergency Kit")} /Producer (Safehold) >>`,
  ];
  let pdf = "%PDF-1.4\n";
  const offsets = [];
  objects.forEach((body, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, "0")} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R /Info ${objects.length} 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(pdf); // ASCII only, see pdfString
}
