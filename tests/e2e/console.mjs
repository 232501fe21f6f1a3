// The web console in headless Chromium: sign in with an operations token,
// file a ticket with the form, and see it arrive on the live event stream
// and on the SLA at-risk board. Exits non-zero with the reason otherwise.
//   node tests/e2e/console.mjs URL TOKEN
import { chromium } from 'playwright-core';

const [url, token] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.KEFU_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
let failed = false;
try {
  const page = await browser.newPage();
  page.setDefaultTimeout(20000);
  await page.goto(url + '/');
  await page.fill('#token', 'not-a-token-at-all');
  await page.click('#signin-form button');
  await page.waitForSelector('#signin-error:has-text("not a token")');
  await page.fill('#token', token);
  await page.click('#signin-form button');
  await page.waitForSelector('#console:not([hidden])');
  await page.waitForSelector('#live-state:has-text("●")');
  await page.waitForSelector('.tile[data-estate="E001"]');
  await page.selectOption('#f-estate', 'E001');
  await page.fill('#f-unit', '3-2-1502');
  await page.fill('#f-name', '张三');
  await page.fill('#f-phone', '13800000000');
  await page.selectOption('#f-type', 'REPAIR');
  await page.selectOption('#f-category', 'PLUMBING');
  await page.fill('#f-description', '厨房水管漏水 the kitchen pipe leaks');
  await page.click('#file-form button[type=submit]');
  await page.waitForSelector('#file-result[data-ticket]');
  const ticket = await page.getAttribute('#file-result', 'data-ticket');
  if (!/^E001-\d{8}-\d{4}$/.test(ticket)) throw new Error(`filed, but the ticket number is '${ticket}'`);
  await page.waitForSelector(`#events li:has-text("ticket.filed"):has-text("${ticket}")`);
  await page.waitForSelector(`#board-rows td:text-is("${ticket}")`);
  console.log(`console e2e: ${ticket} filed in the console, seen on the live stream and on the SLA board`);
} catch (error) {
  failed = true;
  console.error(`console e2e: ${error.message.split('\n')[0]}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
