// Two JsSIP softphones in headless Chromium (playwright-core driving the Debian chromium):
// alice and bob register over WSS with digest auth, alice calls bob, bob answers, both see the
// call confirmed, alice hangs up, bob sees it end. Prints one line per step; exits 0 when every
// step happened, 1 otherwise (with the pages' event logs).
//
//   node softphones.mjs --page https://localhost:PORT/phone.html --wss wss://localhost:PORT
//                       --domain 127.0.0.1:PORT [--chromium /usr/bin/chromium] [--timeout 30]
// The page (served by a local web server) loads the JsSIP bundle as jssip.js beside it.
import { chromium } from 'playwright-core';

const args = Object.fromEntries(process.argv.slice(2).reduce((a, v, i, all) =>
  (v.startsWith('--') ? a.concat([[v.slice(2), all[i + 1]]]) : a), []));
const timeout = Number(args.timeout || 30) * 1000;

const browser = await chromium.launch({
  executablePath: args.chromium || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
         '--ignore-certificate-errors', '--disable-features=WebRtcHideLocalIpsWithMdns'],
});
let failed = false;
const pages = {};

async function phone(user) {
  const ctx = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await ctx.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.log(`[${user} console] ${m.text()}`); });
  await page.goto(args.page);
  await page.waitForFunction(() => typeof JsSIP !== 'undefined', null, { timeout });
  await page.evaluate(({ user, wss, domain }) => {
    window.events = [];
    const log = (e) => window.events.push(e);
    const ua = new JsSIP.UA({
      sockets: [new JsSIP.WebSocketInterface(wss)],
      uri: `sip:${user}@${domain}`,
      password: `${user}-secret`,
      register: true,
      session_timers: false,
    });
    ua.on('registered', () => log('registered'));
    ua.on('registrationFailed', (e) => log(`registrationFailed ${e.cause}`));
    ua.on('newRTCSession', (e) => {
      const s = e.session;
      window.session = s;
      log(`session ${e.originator}`);
      s.on('progress', () => log('progress'));
      s.on('accepted', () => log('accepted'));
      s.on('confirmed', () => log('confirmed'));
      s.on('ended', (x) => log(`ended ${x.originator} ${x.cause}`));
      s.on('failed', (x) => log(`failed ${x.originator} ${x.cause}`));
      if (e.originator === 'remote')
        setTimeout(() => s.answer({ mediaConstraints: { audio: true, video: false },
                                    pcConfig: { iceServers: [] } }), 300);
    });
    window.ua = ua;
    ua.start();
  }, { user, wss: args.wss, domain: args.domain });
  pages[user] = page;
  return page;
}

async function waitFor(user, what) {
  const page = pages[user];
  try {
    await page.waitForFunction((w) => window.events.some((e) => e.startsWith(w)), what, { timeout });
    console.log(`${user}: ${what}`);
  } catch (e) {
    failed = true;
    console.log(`FAIL ${user}: no '${what}' within ${timeout / 1000} s`);
    throw e;
  }
}

try {
  await phone('alice');
  await phone('bob');
  await waitFor('alice', 'registered');
  await waitFor('bob', 'registered');
  await pages.alice.evaluate((domain) => {
    window.ua.call(`sip:bob@${domain}`, { mediaConstraints: { audio: true, video: false },
                                          pcConfig: { iceServers: [] } });
  }, args.domain);
  await waitFor('bob', 'session remote');
  await waitFor('alice', 'confirmed');
  await waitFor('bob', 'confirmed');
  await pages.alice.evaluate(() => window.session.terminate());
  await waitFor('alice', 'ended local');
  await waitFor('bob', 'ended remote Terminated');
} catch (e) {
  failed = true;
} finally {
  for (const [user, page] of Object.entries(pages)) {
    const ev = await page.evaluate(() => window.events).catch(() => ['(page gone)']);
    console.log(`${user} events: ${JSON.stringify(ev)}`);
  }
  await browser.close();
}
process.exit(failed ? 1 : 0);
