// The providers kefu-notify's integration test talks to, on loopback:
//   - a real SMTP server (nodemailer's smtp-server) that requires STARTTLS
//     with a throwaway certificate, and logs each message it accepted;
//   - the group's HTTP gateway as docs/notify.md describes it: it verifies
//     each webhook's Kefu-Signature (HMAC-SHA256 over "<t>.<body>", its own
//     implementation, not kefu's), keeps the ids it took (409 for a repeat),
//     and answers GET /hook/<id> with 200 or 404.
// The receiving side counts: every POST and every accepted message is a
// line in DIR/webhook.log or DIR/mail.log, so a test sees a second call.
// DIR/mode says how the next calls are answered:
//   ok | fail-503 | kill-before PID | kill-after PID | smtp-kill PID | slow MS
// (kill-*: kill -9 PID, the kefu-notify under test, around the answer;
// slow: each webhook answered MS milliseconds late).
//   usage: node peers.mjs DIR SECRET   (writes DIR/peers.json with the ports)
import { createHmac, timingSafeEqual } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { SMTPServer } from 'smtp-server';

const [dir, secret] = process.argv.slice(2);
if (!dir || !secret) {
  console.error('usage: node peers.mjs DIR SECRET');
  process.exit(2);
}
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
  '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', `${dir}/peer.key`, '-out', `${dir}/peer.pem`],
  { stdio: 'ignore' });

const mode = () => (existsSync(`${dir}/mode`) ? readFileSync(`${dir}/mode`, 'utf8').trim().split(/\s+/) : ['ok']);
const log = (file, record) => appendFileSync(`${dir}/${file}`, JSON.stringify(record) + '\n');
const kill = (pid) => { try { process.kill(Number(pid), 'SIGKILL'); } catch { /* gone already */ } };

function verified(header, signed) {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header || '');
  if (!m || Math.abs(Date.now() - Number(m[1])) > 5 * 60 * 1000) return false;
  const want = createHmac('sha256', secret).update(`${m[1]}.`).update(signed).digest();
  return timingSafeEqual(want, Buffer.from(m[2], 'hex'));
}

const taken = new Set();
const http = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const id = req.headers['kefu-delivery'] || '';
    if (req.method === 'GET') {
      const asked = decodeURIComponent(req.url.split('/').pop());
      const ok = verified(req.headers['kefu-signature'], Buffer.from(asked));
      log('webhook.log', { probe: asked, verified: ok, had: taken.has(asked) });
      res.writeHead(!ok ? 401 : taken.has(asked) ? 200 : 404).end();
      return;
    }
    const ok = verified(req.headers['kefu-signature'], body);
    let json = {};
    try { json = JSON.parse(body); } catch { /* logged as unparsable */ }
    const [how, pid] = mode();
    log('webhook.log', { id, verified: ok, kind: json.kind, address: json.recipient?.address,
      text: json.text, repeat: taken.has(id), mode: how });
    if (!ok) { res.writeHead(401).end(); return; }
    if (how === 'fail-503') { res.writeHead(503).end(); return; }
    const repeat = taken.has(id);
    taken.add(id);
    if (how === 'kill-before') { kill(pid); writeFileSync(`${dir}/mode`, 'ok'); }
    res.on('finish', () => { if (how === 'kill-after') { kill(pid); writeFileSync(`${dir}/mode`, 'ok'); } });
    const answer = () => res.writeHead(repeat ? 409 : 200, { 'content-type': 'application/json' }).end('{"ok":true}');
    if (how === 'slow') setTimeout(answer, Number(pid)); else answer();
  });
});

const smtp = new SMTPServer({
  secure: false,
  needsUpgrade: false,
  key: readFileSync(`${dir}/peer.key`),
  cert: readFileSync(`${dir}/peer.pem`),
  authOptional: true,
  disabledCommands: ['AUTH'],
  logger: false,
  onMailFrom(address, session, callback) {
    // STARTTLS is required: a client that did not upgrade is refused.
    if (!session.secure) return callback(Object.assign(new Error('Must issue STARTTLS first'), { responseCode: 530 }));
    return callback();
  },
  onData(stream, session, callback) {
    const chunks = [];
    stream.on('data', (c) => chunks.push(c));
    stream.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const head = text.split('\r\n\r\n')[0].replace(/\r\n[ \t]+/g, ' ');   // unfolded
      const header = (name) => (new RegExp(`^${name}: (.*)$`, 'mi').exec(head) || [])[1];
      const [how, pid] = mode();
      if (how === 'smtp-kill') {
        // The message arrived whole, and its sender dies before it hears "250".
        kill(pid);
        writeFileSync(`${dir}/mode`, 'ok');
      }
      // RFC 2047: encoded-words, each at most 75 characters, the space between them ignored.
      const subject = header('Subject') || '';
      const words = [...subject.matchAll(/=\?UTF-8\?B\?([^?]*)\?=/g)];
      const long = words.some((w) => w[0].length > 75);
      const body = text.split('\r\n\r\n').slice(1).join('\r\n\r\n').replace(/\r\n/g, '');
      log('mail.log', { message_id: header('Message-ID'), from: session.envelope.mailFrom.address,
        to: session.envelope.rcptTo.map((r) => r.address), tls: session.secure,
        subject: words.length ? Buffer.concat(words.map((w) => Buffer.from(w[1], 'base64'))).toString('utf8') : subject,
        long_word: long,
        text: Buffer.from(body, 'base64').toString('utf8') });
      callback();
    });
  },
});

let ready = 0;
const ports = {};
const up = () => { if (++ready === 2) writeFileSync(`${dir}/peers.json`, JSON.stringify(ports)); };
http.listen(0, '127.0.0.1', () => { ports.http = http.address().port; up(); });
smtp.listen(0, '127.0.0.1', () => { ports.smtp = smtp.server.address().port; up(); });
process.on('SIGTERM', () => process.exit(0));
