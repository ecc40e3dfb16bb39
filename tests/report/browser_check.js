// Opens a report in headless Chromium through playwright-core and checks what a reader would see:
// the page renders, every figure (<img>, top-level <svg>) has a box of non-zero size (and an
// image has loaded), no text overflows its box or runs past the right edge of the viewport
// (outside a container made to scroll), and the browser reports no console error, page error
// or failed load. Saves a full-page PNG. Prints one JSON line with what it measured (with where
// the sizing sentences, #recommendation, end on the page, for the first-screen check); exits 1
// when a check fails, 2 when the browser cannot run.
// usage: node browser_check.js REPORT.html SCREENSHOT.png PROFILE_DIR [CHROMIUM]
'use strict';
const path = require('path');
const { chromium } = require('playwright-core');

const [report, png, profile, executable] = process.argv.slice(2);
const WIDTH = 1280;

// Runs in the page: the problems a reader would see.
function inspect() {
  const problems = [];
  const viewport = document.documentElement.clientWidth;
  const describe = (el) => {
    const id = el.id ? '#' + el.id : '';
    const cls = typeof el.className === 'string' && el.className ? '.' + el.className.split(' ')[0] : '';
    const text = (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 40);
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}"`;
  };
  // An element inside a container that scrolls on purpose may extend past it.
  const inScroller = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX;
      if (o === 'auto' || o === 'scroll') return true;
    }
    return false;
  };
  const figures = [...document.querySelectorAll('img, svg')].filter((el) => !el.parentElement.closest('svg'));
  for (const el of figures) {
    const r = el.getBoundingClientRect();
    if (!(r.width > 0 && r.height > 0)) problems.push(`figure without a box: ${describe(el)} ${r.width}x${r.height}`);
    if (el.tagName === 'IMG' && !(el.complete && el.naturalWidth > 0)) problems.push(`image not loaded: ${el.src.slice(0, 80)}`);
  }
  let texts = 0;
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('svg') || ['SCRIPT', 'STYLE'].includes(el.tagName)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
    if (!own) continue;
    texts++;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const scrolls = style.overflowX === 'auto' || style.overflowX === 'scroll';
    if (style.display !== 'inline' && !scrolls && el.scrollWidth > el.clientWidth + 1)
      problems.push(`text overflows its box by ${el.scrollWidth - el.clientWidth}px: ${describe(el)}`);
    const r = el.getBoundingClientRect();
    if (r.right > viewport + 1 && !inScroller(el))
      problems.push(`runs past the viewport (${Math.round(r.right)} > ${viewport}px): ${describe(el)}`);
  }
  const lead = document.getElementById('recommendation');
  const leadBottom = lead ? Math.round(lead.getBoundingClientRect().bottom + window.scrollY) : null;
  return { problems, figures: figures.length, texts, height: document.documentElement.scrollHeight,
           title: document.title, lead_bottom: leadBottom };
}

(async () => {
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: executable || '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
             '--no-first-run', '--disable-component-update', '--disable-sync'],
      viewport: { width: WIDTH, height: 900 },
    });
  } catch (err) {
    console.log(JSON.stringify({ error: 'cannot start chromium: ' + err.message.split('\n')[0] }));
    process.exit(2);
  }
  const errors = [];
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
  page.on('pageerror', (e) => errors.push('page error: ' + e.message));
  page.on('requestfailed', (r) => errors.push('failed to load: ' + r.url().slice(0, 120)));
  await page.goto('file://' + path.resolve(report), { waitUntil: 'load' });
  const seen = await page.evaluate(inspect);
  await page.screenshot({ path: png, fullPage: true });
  await context.close();
  seen.problems.push(...errors);
  console.log(JSON.stringify(seen));
  process.exit(seen.problems.length ? 1 : 0);
})();
