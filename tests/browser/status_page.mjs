// The built-in status page (GET /) in headless Chromium, for tests/integration/status_page.sh.
// Loads --url, answers the token form once with --token, waits until the dispatcher table lists
// --down-uri and --up-uri as "up" with a probe latency and the registrations table lists --aor,
// reloads the page (the token must be remembered: no form again), prints READY, waits until
// --down-uri shows "down" (the test stops its UAS) while --up-uri stays "up", prints DOWN.
// Exits 1 on any console error or page error, or when a step times out.
import { chromium } from 'playwright-core';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) =>
  (v.startsWith('--') ? a.concat([[v.slice(2), all[i + 1]]]) : a), []));
const timeout = Number(args.timeout || 30) * 1000;

const browser = await chromium.launch({
  executablePath: args.chromium || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
let code = 0;
try {
  const page = await (await browser.newContext()).newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  await page.goto(args.url);
  await page.locator('#auth').waitFor({ state: 'visible', timeout });
  await page.fill('#token', args.token);
  await page.click('#auth button');
  const state = (uri) => page.locator(`#destinations tr[data-uri="${uri}"] td:nth-child(3)`);
  const latency = (uri) => page.locator(`#destinations tr[data-uri="${uri}"] td:nth-child(5)`);
  const upWithLatency = async (uri) => {
    await page.waitForFunction(([u]) => {
      const tr = document.querySelector(`#destinations tr[data-uri="${u}"]`);
      return tr && tr.cells[2].textContent === 'up' && / ms$/.test(tr.cells[4].textContent);
    }, [uri], { timeout });
  };
  await upWithLatency(args['down-uri']);
  await upWithLatency(args['up-uri']);
  await page.locator(`#bindings tr[data-aor="${args.aor}"]`).waitFor({ timeout });
  // the token is kept: a reload shows the data without asking again
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ok === '1', null, { timeout });
  if (await page.locator('#auth').isVisible()) throw new Error('the token form is back after a reload');
  await upWithLatency(args['down-uri']);
  const uptime = await page.textContent('#uptime');
  const tx = await page.textContent('#transactions');
  if (!/\d+s$/.test(uptime)) throw new Error(`uptime shows '${uptime}'`);
  if (!/^\d+$/.test(tx)) throw new Error(`live transactions show '${tx}'`);
  await page.waitForFunction(() => /^\d+\.\d\d$/.test(document.getElementById('cps').textContent), null, { timeout });
  console.log(`READY uptime=${uptime} transactions=${tx} latency=${await latency(args['down-uri']).textContent()}`);
  await page.waitForFunction(([u]) => {
    const tr = document.querySelector(`#destinations tr[data-uri="${u}"]`);
    return tr && tr.cells[2].textContent === 'down';
  }, [args['down-uri']], { timeout });
  const other = await state(args['up-uri']).textContent();
  if (other !== 'up') throw new Error(`${args['up-uri']} shows '${other}' (expected up)`);
  console.log(`DOWN ${await state(args['down-uri']).textContent()}`);
} catch (e) {
  console.log(`FAILED: ${e.message}`);
  code = 1;
}
for (const e of errors) console.log(e);
if (errors.length) code = 1;
await browser.close();
process.exit(code);
