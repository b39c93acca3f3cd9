import sharp from 'sharp';
const [src, out, top, h] = process.argv.slice(2);
const meta = await sharp(src).metadata();
const t = Number(top); const hh = Math.min(meta.height! - t, Number(h));
await sharp(src).extract({ left: 0, top: t, width: meta.width!, height: hh }).toFile(out);
console.log(meta.width, meta.height);
