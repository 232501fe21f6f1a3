// kefu console: signs in with a token (a session cookie), then shows the
// KPI tiles, the SLA board, the Pareto chart and the live event stream,
// and files tickets. Every call is the JSON API the gateway documents in
// /console/openapi.json. No build step: plain browser JavaScript.
'use strict';

const $ = (id) => document.getElementById(id);
let me = null;

async function api(command, body) {
  const response = await fetch('/api/v1/' + command, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body || {}), credentials: 'same-origin',
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(json.error || response.statusText);
  return json;
}

const short = (value, prefix) => (value || '').replace(prefix, '').toLowerCase().replace(/_/g, ' ');
const local = (ms) => new Date(Number(ms)).toLocaleString('zh-CN', { hour12: false });
const permille = (n) => (n === undefined ? '-' : (Number(n) / 10).toFixed(1) + ' %');

function left(ms) {
  const minutes = Math.round(Number(ms) / 60000), sign = minutes < 0 ? '-' : '';
  const m = Math.abs(minutes);
  return sign + (m >= 1440 ? Math.floor(m / 1440) + 'd ' + Math.floor((m % 1440) / 60) + 'h'
                           : Math.floor(m / 60) + 'h ' + (m % 60) + 'm');
}

// ---- signing in ----------------------------------------------------------------------------

async function whoami() {
  const response = await fetch('/api/v1/whoami', { credentials: 'same-origin' });
  return response.ok ? response.json() : null;
}

$('signin-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('signin-error').textContent = '';
  const response = await fetch('/api/v1/session', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ token: $('token').value }), credentials: 'same-origin',
  });
  $('token').value = '';
  if (!response.ok) {
    $('signin-error').textContent = '令牌无效 · not a token of this cluster';
    return;
  }
  start(await response.json());
});

// ---- the panels ----------------------------------------------------------------------------

async function tiles() {
  const grid = $('tile-grid');
  const now = Date.now(), month = new Date();
  const period = { from_ms: String(now - 30 * 86400000), to_ms: String(now) };
  const yyyymm = month.getFullYear() * 100 + month.getMonth() + 1;
  for (const estate of me.estates || []) {
    const safe = (promise) => promise.catch(() => null);
    const [sla, satisfaction, collection, open] = await Promise.all([
      safe(api('report_sla', { estate, period })),
      safe(api('report_satisfaction', { estate, period, group_by: 'estate' })),
      safe(api('report_collection', { estate, period_from: yyyymm, period_to: yyyymm })),
      safe(api('list_tickets', { estate, status: 'OPEN', page: { page_size: 1 } })),
    ]);
    let tile = document.querySelector(`.tile[data-estate="${estate}"]`);
    if (!tile) {
      tile = document.createElement('div');
      tile.className = 'tile';
      tile.dataset.estate = estate;
      grid.appendChild(tile);
    }
    const row = (zh, en, value) => `<dt>${zh} <span class="en">${en}</span></dt><dd>${value}</dd>`;
    tile.innerHTML = `<h3>${estate}</h3><dl>` +
      row('准时率', 'on-time', sla && sla.rows && sla.rows[0] ? permille(sla.rows[0].on_time_permille) : '-') +
      row('满意率', 'satisfaction', satisfaction && satisfaction.rows && satisfaction.rows[0]
            ? permille(satisfaction.rows[0].satisfied_permille) : '-') +
      row('收缴率', 'collection', collection && collection.rows && collection.rows[0]
            ? permille(collection.rows[0].rate_permille) : '-') +
      row('未结工单', 'open cases', open ? Number(open.total || 0) : '-') + '</dl>';
  }
}

async function board() {
  const rows = $('board-rows');
  try {
    const reply = await api('sla_board', { all: true, limit: 50 });
    rows.innerHTML = '';
    for (const r of reply.risks || []) {
      const tr = document.createElement('tr');
      const cells = [r.ticket_no, short(r.target, 'SLA_TARGET_'), local(r.deadline_ms), left(r.remaining_ms),
                     short(r.level, 'ESCALATION_LEVEL_') || '-', short(r.department, 'DEPARTMENT_') || '-',
                     short(r.category, 'CATEGORY_')];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 3 && Number(r.remaining_ms) < 0) td.className = 'late';
        tr.appendChild(td);
      });
      rows.appendChild(tr);
    }
  } catch (error) {
    rows.innerHTML = `<tr><td colspan="7">${error.message}</td></tr>`;
  }
}

async function pareto() {
  const svg = $('pareto-chart');
  let reply;
  try { reply = await api('report_pareto', {}); } catch (error) { return; }
  const rows = reply.rows || [], max = Math.max(1, ...rows.map((r) => Number(r.count)));
  const width = 560 / Math.max(rows.length, 1);
  let bars = '', line = '';
  rows.forEach((r, i) => {
    const h = 180 * Number(r.count) / max, x = 40 + i * width;
    bars += `<rect x="${x + 4}" y="${200 - h}" width="${width - 8}" height="${h}"
              fill="${r.vital_few ? '#c0392b' : '#7f8c8d'}"><title>${short(r.category, 'CATEGORY_')}: ${r.count}</title></rect>
             <text x="${x + width / 2}" y="216" font-size="10" text-anchor="middle">${short(r.category, 'CATEGORY_')}</text>`;
    line += `${i ? 'L' : 'M'}${x + width / 2},${200 - 180 * Number(r.cumulative_permille) / 1000}`;
  });
  svg.innerHTML = `<line x1="40" y1="200" x2="600" y2="200" stroke="#999"/>` +
    `<line x1="40" y1="56" x2="600" y2="56" stroke="#c0392b" stroke-dasharray="4"/>` +
    `<text x="604" y="60" font-size="10">80 %</text>${bars}` +
    (line ? `<path d="${line}" fill="none" stroke="#12324f" stroke-width="2"/>` : '');
}

function live() {
  const list = $('events');
  const source = new EventSource('/api/v1/events');
  source.onopen = () => { $('live-state').textContent = '●'; };
  source.onerror = () => {
    $('live-state').textContent = me.role === 'ROLE_OPERATIONS' ? '(重连 reconnecting)' : '(仅运维 operations only)';
    if (me.role !== 'ROLE_OPERATIONS') source.close();
  };
  const show = (event) => {
    const data = JSON.parse(event.data);
    const body = Object.entries(data).find(([key]) => key.includes('_') && typeof data[key] === 'object');
    const what = body ? (body[1].ticket_no || body[1].order_no || body[1].visit_id || body[1].invoice_no || '') : '';
    const li = document.createElement('li');
    li.textContent = `${local(data.occurred_at_ms)}  ${event.type}  ${data.estate}  ${what}`;
    list.prepend(li);
    while (list.children.length > 200) list.lastChild.remove();
    if (event.type.startsWith('sla.') || event.type.startsWith('escalation.') || event.type === 'ticket.filed') board();
  };
  for (const kind of ['ticket.filed', 'ticket.closed', 'ticket.reopened', 'ticket.cancelled', 'ticket.note_added',
                      'order.created', 'order.queued', 'order.assigned', 'order.accepted', 'order.started',
                      'order.paused', 'order.resumed', 'order.completed', 'order.transferred', 'order.cancelled',
                      'sla.warning', 'sla.breached', 'sla.met', 'escalation.raised', 'visit.scheduled',
                      'visit.merged', 'visit.attempted', 'visit.completed', 'visit.unsatisfied', 'visit.overdue',
                      'evaluation.sampled', 'evaluation.answered', 'evaluation.closed', 'report.daily',
                      'invoice.issued', 'invoice.charge_added', 'invoice.late_fee', 'invoice.settled',
                      'payment.received', 'payment.refunded', 'reminder.sent', 'unit.registered']) {
    source.addEventListener(kind, show);
  }
  // After a reconnect the gateway sends what was missed (Last-Event-ID), or
  // says it no longer has it: then what the page shows is reloaded.
  source.addEventListener('resync', () => {
    const li = document.createElement('li');
    li.textContent = '(部分事件已错过，已刷新 some events were missed: refreshed)';
    list.prepend(li);
    board();
  });
}

$('file-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const result = $('file-result');
  try {
    const ticket = await api('file_ticket', {
      estate: $('f-estate').value, unit: $('f-unit').value, reporter_name: $('f-name').value,
      reporter_phone: $('f-phone').value, type: $('f-type').value, channel: $('f-channel').value,
      category: $('f-category').value, description: $('f-description').value,
      idempotency_key: crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random(),
    });
    result.textContent = `已登记 filed: ${ticket.ticket_no}`;
    result.dataset.ticket = ticket.ticket_no;
    $('file-form').reset();
    setTimeout(board, 500);
  } catch (error) {
    result.textContent = `未登记 not filed: ${error.message}`;
  }
});
$('board-refresh').addEventListener('click', board);

function start(who) {
  me = who;
  $('signin').hidden = true;
  $('console').hidden = false;
  $('who').textContent = `${who.name} · ${who.estate || '集团 group'} · ${short(who.role, 'ROLE_')}`;
  const select = $('f-estate');
  select.innerHTML = '';
  for (const estate of who.estates || []) select.add(new Option(estate, estate));
  tiles();
  board();
  pareto();
  live();
  setInterval(board, 10000);
  setInterval(tiles, 60000);
  setInterval(pareto, 60000);
}

whoami().then((who) => { if (who) start(who); });
