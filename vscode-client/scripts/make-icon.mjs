// Draws the extension's 128x128 icon (a stack of shrinking layer slabs under a lens) and writes it as PNG.
// No image library: shapes are sampled 4x4 per pixel for anti-aliasing, then encoded with zlib.
// Usage: node scripts/make-icon.mjs media/icon.png
import { writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { deflateSync } from "node:zlib";

const SIZE = 128;
const SS = 4; // samples per axis

const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
const BG = hex("#1e2a3a");
const SLABS = [hex("#4fc3f7"), hex("#4db6ac"), hex("#81c784"), hex("#ffb74d")];
const LENS = hex("#ffffff");

function roundedRect(x, y, x0, y0, x1, y1, r) {
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

// Returns [r, g, b, a] (0..1 alpha) for one sample point, painting back to front.
function sample(x, y) {
  let color = null;
  if (roundedRect(x, y, 2, 2, 126, 126, 22)) color = BG;
  // Four layer slabs, each narrower than the last: a network reducing a tensor's shape.
  const widths = [84, 64, 44, 24];
  widths.forEach((w, i) => {
    const top = 22 + i * 20;
    const x0 = 64 - w / 2 - 10;
    if (roundedRect(x, y, x0, top, x0 + w, top + 13, 4)) color = SLABS[i];
  });
  // The lens: a ring with a handle, over the lower right.
  const lx = 84, ly = 80, ro = 24, ri = 17;
  const d2 = (x - lx) ** 2 + (y - ly) ** 2;
  if (d2 <= ri * ri && color) color = color.map((c) => Math.min(255, c * 0.55 + 255 * 0.25));
  if (d2 <= ro * ro && d2 >= ri * ri) color = LENS;
  // Handle: a thick segment from the ring towards the bottom-right corner.
  const t = Math.max(0, Math.min(1, ((x - 101) * 1 + (y - 97) * 1) / (2 * 16 * 16)));
  const hx = 101 + t * 16, hy = 97 + t * 16;
  if ((x - hx) ** 2 + (y - hy) ** 2 <= 6.5 * 6.5) color = LENS;
  return color ? [...color, 1] : [0, 0, 0, 0];
}

const raw = Buffer.alloc(SIZE * (SIZE * 4 + 1));
for (let py = 0; py < SIZE; py++) {
  raw[py * (SIZE * 4 + 1)] = 0; // filter: none
  for (let px = 0; px < SIZE; px++) {
    let r = 0, g = 0, b = 0, a = 0;
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const [cr, cg, cb, ca] = sample(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS);
        r += cr * ca; g += cg * ca; b += cb * ca; a += ca;
      }
    }
    const o = py * (SIZE * 4 + 1) + 1 + px * 4;
    const n = SS * SS;
    raw[o] = a ? Math.round(r / a) : 0;
    raw[o + 1] = a ? Math.round(g / a) : 0;
    raw[o + 2] = a ? Math.round(b / a) : 0;
    raw[o + 3] = Math.round((a / n) * 255);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(SIZE, 0);
ihdr.writeUInt32BE(SIZE, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk("IHDR", ihdr),
  chunk("IDAT", deflateSync(raw, { level: 9 })),
  chunk("IEND", Buffer.alloc(0)),
]);
const out = process.argv[2] ?? "media/icon.png";
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes, ${SIZE}x${SIZE})`);
