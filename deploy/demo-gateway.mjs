// The demo's stand-in for the group's SMS / WeChat Work gateway (make run
// only; a real site points notify/webhook/url at its own): it takes each
// signed webhook kefu-notify POSTs (docs/notify.md), checks its signature,
// writes who it was for and what it said to var/log/messages.log (an owner's
// sign-in code included: that is where the demo's owner reads it), and
// answers GET <url>/<id> for the ids it took.
//   usage: node deploy/demo-gateway.mjs PORT SECRET LOG
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [port, secret, log] = process.argv.slice(2);
const taken = new Set();

function signed(header, data) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header || '');
  if (!m || Math.abs(Date.now() - Number(m[1])) > 5 * 60 * 1000) return false;
  const want = createHmac('sha256', secret).update(`${m[1]}.`).update(data).digest();
  return timingSafeEqual(want, Buffer.from(m[2], 'hex'));
}

createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const body = Buffer.concat(chunks);
    const id = request.method === 'GET' ? decodeURIComponent(request.url.split('/').pop()) : request.headers['kefu-delivery'];
    if (!signed(request.headers['kefu-signature'], request.method === 'GET' ? Buffer.from(id || '') : body))
      return response.writeHead(401).end();
    if (request.method === 'GET') return response.writeHead(taken.has(id) ? 200 : 404).end();
    let delivery = {};
    try { delivery = JSON.parse(body); } catch { return response.writeHead(400).end(); }
    if (taken.has(id)) return response.writeHead(409).end();
    taken.add(id);
    const to = delivery.recipient || {};
    appendFileSync(log, `${new Date().toISOString()} to ${to.name || to.id || ''} ${to.address || ''}: ${delivery.text || ''}\n`);
    response.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
}).listen(Number(port), '127.0.0.1');
