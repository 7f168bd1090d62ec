#!/usr/bin/env node
/**
 * Renders resources/icons/icon.svg's design to PNG (256 and 512 px) without ImageMagick: the shapes are
 * simple (a rounded square, a band, a polygon), so they are rasterised here with 4×4 supersampling and
 * written as PNG with node:zlib. Run `node build/render-icons.mjs` after changing the design; keep the
 * geometry below and the SVG in step.
 */
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const VIEW = 512;
const BACKGROUND = [0x12, 0x34, 0x3b];
const BAND = [0xf2, 0xb1, 0x34];
const BOLT = [0xff, 0xff, 0xff];
const CORNER_RADIUS = 96;
const BAND_RECT = { x0: 64, x1: 448, y0: 326, y1: 358 };
const BOLT_POLYGON = [[300, 56], [132, 288], [236, 288], [204, 456], [380, 208], [276, 208], [324, 56]];

function insideRoundedSquare(x, y) {
  const cx = Math.min(Math.max(x, CORNER_RADIUS), VIEW - CORNER_RADIUS);
  const cy = Math.min(Math.max(y, CORNER_RADIUS), VIEW - CORNER_RADIUS);
  return x >= 0 && y >= 0 && x <= VIEW && y <= VIEW && (x - cx) ** 2 + (y - cy) ** 2 <= CORNER_RADIUS ** 2;
}

function insidePolygon(x, y, polygon) {
  let inside = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i];
    const [xj, yj] = polygon[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Colour (with coverage) of one sample point, in the 512 design space. */
function sample(x, y) {
  if (!insideRoundedSquare(x, y)) return null;
  if (insidePolygon(x, y, BOLT_POLYGON)) return BOLT;
  if (x >= BAND_RECT.x0 && x <= BAND_RECT.x1 && y >= BAND_RECT.y0 && y <= BAND_RECT.y1) return BAND;
  return BACKGROUND;
}

function render(size) {
  const grid = 4;
  const scale = VIEW / size;
  const rgba = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < grid; sy++) {
        for (let sx = 0; sx < grid; sx++) {
          const colour = sample((px + (sx + 0.5) / grid) * scale, (py + (sy + 0.5) / grid) * scale);
          if (!colour) continue;
          r += colour[0];
          g += colour[1];
          b += colour[2];
          a++;
        }
      }
      const o = (py * size + px) * 4;
      if (a > 0) {
        rgba[o] = Math.round(r / a);
        rgba[o + 1] = Math.round(g / a);
        rgba[o + 2] = Math.round(b / a);
      }
      rgba[o + 3] = Math.round((a / (grid * grid)) * 255);
    }
  }
  return encodePng(size, size, rgba);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buffer) {
  let c = 0xffffffff;
  for (const byte of buffer) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const outDir = new URL('../resources/icons/', import.meta.url);
for (const size of [256, 512]) writeFileSync(new URL(`${size}x${size}.png`, outDir), render(size));
writeFileSync(new URL('icon.png', outDir), render(512));
