// kefu console: the staff's workspace. People sign in as themselves (a
// session cookie); each role gets its pages: the front desk its tickets,
// filing form and counter; supervisors the SLA board, orders, visits,
// evaluation and reports; technicians their orders on a phone; operations
// the overview. Every call is the JSON API the gateway documents in
// /console/openapi.json; the gateway's estate guard decides what anyone
// sees. Plain browser JavaScript, no build step; every text from i18n.js.
'use strict';

let me = null;            // who is signed in (the session's view)
let clockSkew = 0;        // the cluster's clock minus the browser's
let estateFilter = '';    // the estate picked in the header; '' for all of the caller's
const now = () => Date.now() + clockSkew;

class ApiError extends Error {}

async function api(command, body) {
  const response = await fetch('/api/v1/' + command, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body || {}), credentials: 'same-origin',
  });
  const json = await response.json().catch(() => ({}));
  if (response.status === 401 && me) signedOut(t('signed out idle'));
  if (!response.ok) throw new ApiError(json.error || response.statusText);
  return json;
}

const estates = () => (me && me.estate_views) || [];
const estateOf = (id) => estates().find((e) => e.id === id);
const estateName = (id) => (estateOf(id) ? estateOf(id).name : id || t('group'));
const offsetOf = (id) => ((estateOf(id) || estates()[0] || {}).utc_offset_min || 0);
const picked = () => estateFilter || (estates().length === 1 ? estates()[0].id : '');
const ticketEstate = (no) => (no || '').replace(/-\d{8}-\d{4}.*$/, '');

// A time in the estate's own time zone: "2026-11-23 10:05".
function when(ms, estate) {
  if (!ms || ms === '0') return '-';
  return new Date(Number(ms) + offsetOf(estate) * 60000).toISOString().slice(0, 16).replace('T', ' ');
}
// The estate's local date of a time: "2026-11-23".
const localDate = (ms, estate) => new Date(Number(ms) + offsetOf(estate) * 60000).toISOString().slice(0, 10);
// The UTC ms of an estate's local midnight starting `date` (next day's with `end`).
function midnight(date, estate, end) {
  const ms = Date.parse(date + 'T00:00:00Z') - offsetOf(estate) * 60000;
  return String(end ? ms + 86400000 : ms);
}

// The time left until a deadline, kept counting by the ticker below.
const countdown = (deadline) => h('span', { 'data-deadline': deadline, class: Number(deadline) < now() ? 'late' : null },
                                  left(Number(deadline) - now()));

function left(ms) {
  const minutes = Math.round(Number(ms) / 60000), m = Math.abs(minutes);
  const text = m >= 1440 ? `${Math.floor(m / 1440)}d ${Math.floor((m % 1440) / 60)}h` : `${Math.floor(m / 60)}h ${m % 60}m`;
  return (minutes < 0 ? '-' : '') + text;
}

// A decimal as typed, in units of 10^-places, a string integer: the digits
// are read as text, no floats on the way. null when it is not a number of
// at most `places` decimals (or is negative, unless `signed`).
function toScaled(text, places, signed) {
  const m = new RegExp(`^\\s*(${signed ? '[+-]?' : ''})(\\d{1,12})(?:[.,](\\d{1,${places}}))?\\s*$`).exec(text || '');
  if (!m) return null;
  const value = BigInt(m[2]) * 10n ** BigInt(places) + BigInt((m[3] || '').padEnd(places, '0'));
  return (m[1] === '-' && value ? '-' : '') + String(value);
}
const toFen = (text) => toScaled(text, 2, false);
const permille = (n) => (n === undefined ? '-' : (Number(n) / 10).toFixed(1) + ' %');

function options(kind, selected, withAny) {
  return [withAny ? h('option', { value: '' }, t('any')) : null,
          ...values(kind).map((v) => h('option', { value: v, selected: selected === v }, label(kind, v)))];
}
function estateOptions(selected, withAll) {
  return [withAll ? h('option', { value: '' }, t('all estates')) : null,
          ...estates().map((e) => h('option', { value: e.id, selected: e.id === selected }, e.name))];
}
const field = (text, input) => h('label', {}, h('span', {}, text), input);

// A form's outcome, in its status line.
function say(element, ok, text) {
  element.textContent = text;
  element.className = ok ? 'ok' : 'error';
}

// ---- signing in and out ------------------------------------------------------------------

async function whoami() {
  const response = await fetch('/api/v1/whoami', { credentials: 'same-origin' });
  return response.ok ? response.json() : null;
}

function signedOut(why) {
  me = null;
  if (live.source) live.source.close();
  $('#app').hidden = true;
  $('#signin').hidden = false;
  $('#signin-error').textContent = why || '';
}

async function signIn(event) {
  event.preventDefault();
  const byToken = !$('#signin-token').hidden;
  const body = byToken ? { token: $('#token').value } : { user: $('#user').value.trim(), password: $('#password').value };
  $('#password').value = '';
  $('#token').value = '';
  const response = await fetch('/api/v1/session', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    credentials: 'same-origin',
  });
  const json = await response.json().catch(() => ({}));
  if (!response.ok) {
    $('#signin-error').textContent = json.error || response.statusText;
    return;
  }
  start(json);
}

async function signOut() {
  await fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => null);
  signedOut('');
}

// ---- the frame: header, tabs, the live stream --------------------------------------------

const TABS = {
  ROLE_FRONT_DESK: ['tickets', 'file', 'counter', 'registers', 'permits', 'violations', 'duty', 'renovations', 'board',
                    'messages'],
  ROLE_SUPERVISOR: ['tickets', 'board', 'orders', 'visits', 'evaluation', 'reports', 'file', 'counter', 'registers',
                    'permits', 'violations', 'duty', 'renovations', 'messages'],
  ROLE_MANAGER: ['board', 'tickets', 'orders', 'visits', 'evaluation', 'reports', 'renovations', 'messages', 'wall'],
  ROLE_TECHNICIAN: ['mine'],
  ROLE_OPERATIONS: ['wall', 'board', 'tickets', 'reports'],
};
const tabs = () => TABS[me.role] || ['tickets'];

function frame() {
  document.title = 'kefu · ' + t('console');
  $('#brand').textContent = 'kefu ' + t('console');
  $('#who').textContent = `${me.name} · ${label('Role', me.role)} · ${estateName(me.estate)}`;
  const pick = $('#estate-pick');
  fill(pick, ...estateOptions(estateFilter, estates().length > 1));
  pick.hidden = estates().length < 2;
  $('#lang').textContent = t('language');
  $('#signout').textContent = t('sign out');
  liveState();
  fill($('#tabs'), ...tabs().map((tab) => h('a', { href: '#/' + tab, 'data-tab': tab }, t('tab ' + tab))));
}

const liveState = () => { $('#live-state').textContent = live.up ? '● ' + t('live') : '○ ' + t('reconnecting'); };

function live() {
  if (live.source) live.source.close();
  const source = new EventSource('/api/v1/events');
  live.source = source;
  source.onopen = () => { live.up = true; liveState(); };
  source.onerror = () => { live.up = false; liveState(); };
  const heard = (event) => {
    let data;
    try { data = JSON.parse(event.data); } catch (error) { return; }
    if (view.live) view.live(event.type, data);
  };
  for (const kind of Object.keys(KEFU_KINDS)) source.addEventListener(kind, heard);
  // After a reconnect the gateway sends what was missed (Last-Event-ID), or
  // says it no longer has it: what the page shows is then reloaded.
  source.addEventListener('resync', () => { if (view.live) view.live('resync', {}); });
}

// What the page shows, by the address: #/tickets, #/ticket/E001-20261123-0001, ...
async function view() {
  if (!me) return;
  const [, page, arg] = (location.hash || '').split('/');
  const tab = page === 'ticket' ? 'tickets' : tabs().includes(page) ? page : tabs()[0];
  for (const a of document.querySelectorAll('#tabs a')) a.classList.toggle('on', a.dataset.tab === tab);
  view.live = null;
  const root = $('#view');
  fill(root);
  const render = page === 'ticket' ? ticketPage : PAGES[tab];
  try {
    await render(root, decodeURIComponent(arg || ''));
  } catch (error) {
    root.append(h('p', { class: 'error' }, error.message));
  }
}

// Reload the page's data at most once a second while events come.
function debounced(fn) {
  let timer = null;
  return () => { if (!timer) timer = setTimeout(() => { timer = null; fn(); }, 1000); };
}

// Countdowns: every element with data-deadline shows the time left.
setInterval(() => {
  for (const element of document.querySelectorAll('[data-deadline]')) {
    const remaining = Number(element.dataset.deadline) - now();
    element.textContent = left(remaining);
    element.classList.toggle('late', remaining < 0);
  }
}, 1000);

function table(headings, rows, onRow) {
  return h('table', {},
    h('thead', {}, h('tr', {}, headings.map((x) => h('th', {}, x)))),
    h('tbody', {}, rows.map((row) => h('tr', onRow ? { class: 'link', onclick: () => onRow(row.key) } : {},
                                          row.cells.map((c) => (c instanceof Node ? h('td', {}, c) : h('td', {}, c)))))));
}

function csvLink(name, headings, rows) {
  const quote = (v) => `"${String(v ?? '').replace(/"/g, '""')}"`;
  const text = '\ufeff' + [headings, ...rows].map((r) => r.map(quote).join(',')).join('\r\n');
  return h('a', { class: 'button', download: name + '.csv',
                  href: URL.createObjectURL(new Blob([text], { type: 'text/csv;charset=utf-8' })) }, t('csv'));
}

// A bar chart: each row a bar, optionally a cumulative line (Pareto).
function bars(rows, line) {
  const width = 600, height = 200, max = Math.max(1, ...rows.map((r) => Number(r.value)));
  const step = (width - 40) / Math.max(rows.length, 1);
  let path = '';
  const parts = rows.map((r, i) => {
    const bar = (height - 40) * Number(r.value) / max, x = 30 + i * step;
    if (line) path += `${i ? 'L' : 'M'}${x + step / 2},${height - 30 - (height - 40) * Number(r.line) / 1000}`;
    return [svg('rect', { x: x + 3, y: height - 30 - bar, width: Math.max(step - 6, 1), height: bar,
                          class: r.mark ? 'bar mark' : 'bar' }, svg('title', {}, `${r.name}: ${r.label ?? r.value}`)),
            svg('text', { x: x + step / 2, y: height - 14, 'text-anchor': 'middle', class: 'axis' }, r.name)];
  });
  return svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img' },
    svg('line', { x1: 30, y1: height - 30, x2: width - 10, y2: height - 30, class: 'axis-line' }),
    parts, line ? svg('path', { d: path, class: 'line' }) : null);
}

// ---- the front desk: tickets -----------------------------------------------------------

async function ticketsPage(root) {
  const form = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); find(''); } },
    field(t('estate'), h('select', { name: 'estate' }, estateOptions(picked(), estates().length > 1))),
    field(t('status'), h('select', { name: 'status' }, options('TicketStatus', 'OPEN', true))),
    field(t('type'), h('select', { name: 'type' }, options('TicketType', '', true))),
    field(t('category'), h('select', { name: 'category' }, options('Category', '', true))),
    field(t('unit'), h('input', { name: 'unit', placeholder: '3-2-1502', size: 10 })),
    field(t('phone'), h('input', { name: 'phone', inputmode: 'tel', size: 12 })),
    field(t('from'), h('input', { name: 'from', type: 'date' })),
    field(t('to'), h('input', { name: 'to', type: 'date' })),
    h('label', { class: 'check' }, h('input', { name: 'overdue', type: 'checkbox' }), t('overdue')),
    field(t('search'), h('input', { name: 'text', type: 'search', size: 18 })),
    h('button', { type: 'submit' }, t('find')));
  const list = h('div', {});
  root.append(h('h2', {}, t('tab tickets')), form, list);
  async function find(pageToken) {
    const f = form.elements, estate = f.estate.value;
    const query = {
      estate: estate || undefined, status: f.status.value || undefined, type: f.type.value || undefined,
      category: f.category.value || undefined, unit: f.unit.value.trim() || undefined,
      reporter_phone: f.phone.value.trim() || undefined, text: f.text.value.trim() || undefined,
      overdue: f.overdue.checked || undefined, page: { page_size: 50, page_token: pageToken || undefined },
    };
    if (f.from.value || f.to.value)
      query.filed = { from_ms: f.from.value ? midnight(f.from.value, estate) : undefined,
                      to_ms: f.to.value ? midnight(f.to.value, estate, true) : undefined };
    const reply = await api('list_tickets', query);
    const rows = (reply.tickets || []).map((x) => ({
      key: x.ticket_no,
      cells: [x.ticket_no, estateName(x.estate), when(x.filed_at_ms, x.estate),
              h('span', { class: x.overdue ? 'late' : '' }, label('TicketStatus', x.status) + (x.overdue ? ' · ' + t('overdue') : '')),
              label('Priority', x.filed.priority), label('TicketType', x.filed.type), label('Category', x.filed.category),
              x.filed.unit, x.filed.reporter_name, x.filed.description],
    }));
    fill(list,
      h('p', {}, t('n tickets', { n: reply.total || 0 })),
      table([t('ticket'), t('estate'), t('filed at'), t('status'), t('priority'), t('type'), t('category'), t('unit'),
             t('reporter'), t('description')], rows, (no) => { location.hash = '#/ticket/' + no; }),
      reply.next_page_token ? h('button', { type: 'button', onclick: () => find(reply.next_page_token) }, t('more')) : null);
  }
  await find('');
  view.live = debounced(() => find(''));
}

async function ticketPage(root, no) {
  const estate = ticketEstate(no);
  const [ticket, orders, sla] = await Promise.all([
    api('show_ticket', { ticket_no: no }),
    api('list_orders', { ticket_no: no }).catch(() => ({ orders: [] })),
    api('show_sla', { ticket_no: no }).catch(() => null),
  ]);
  const f = ticket.filed || {};
  const directs = ['ROLE_SUPERVISOR', 'ROLE_MANAGER'].includes(me.role);
  const line = h('p', { role: 'status' });
  const act = (command, body) => async (event) => {
    event.preventDefault();
    try { await api(command, body(event.target)); say(line, true, t('saved')); setTimeout(view, 300); }
    catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  };
  const open = ticket.status === 'TICKET_STATUS_OPEN';
  root.append(
    h('h2', {}, no, ' ', h('span', { class: 'badge' }, label('TicketStatus', ticket.status)),
      ticket.overdue ? h('span', { class: 'badge late' }, t('overdue')) : null),
    h('dl', { class: 'facts' },
      [[t('estate'), estateName(ticket.estate)], [t('unit'), f.unit], [t('reporter'), f.reporter_name],
       [t('phone'), f.reporter_phone], [t('type'), label('TicketType', f.type)], [t('category'), label('Category', f.category)],
       [t('priority'), label('Priority', f.priority)], [t('channel'), label('Channel', f.channel)],
       [t('filed at'), when(ticket.filed_at_ms, estate)],
       [t('hazards'), (f.hazards || []).map((x) => label('Hazard', x)).join('、') || t('none')],
       [t('description'), f.description]].map(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '-')]),
      (f.photo_urls || []).length ? [h('dt', {}, t('photos')),
        h('dd', {}, f.photo_urls.map((u) => h('a', { href: /^https?:\/\//.test(u) ? u : '#', target: '_blank', rel: 'noopener' }, u)))] : null));
  // The clocks, counting down.
  const clocks = (sla && sla.clocks) || [];
  root.append(h('h3', {}, t('clocks')), table([t('target'), t('due'), t('left'), t('level'), t('status')],
    clocks.map((c) => ({ cells: [label('SlaTarget', c.target), when(c.deadline_ms, estate),
      c.stopped || c.met_at_ms && c.met_at_ms !== '0' ? '-' : c.paused ? t('paused')
        : countdown(c.deadline_ms),
      label('EscalationLevel', c.level || 'ESCALATION_LEVEL_HANDLER'),
      c.breached ? t('breached') : c.met_at_ms && c.met_at_ms !== '0' ? t('met') : c.paused ? t('paused') : t('running')] }))));
  // Its orders, with what the caller may do to them.
  const departments = h('select', { name: 'department' }, options('Department', ''));
  root.append(h('h3', {}, t('orders')), table([t('ticket'), t('department'), t('status'), t('assignee'), t('due'), t('actions')],
    (orders.orders || []).map((o) => ({ cells: [o.order_no, label('Department', o.created.department),
      label('OrderStatus', o.status), o.staff_id || t('queue'), when(o.created.due_at_ms, estate),
      ['ORDER_STATUS_COMPLETED', 'ORDER_STATUS_TRANSFERRED', 'ORDER_STATUS_CANCELLED'].includes(o.status) ? '-' : h('div', { class: 'acts' },
        h('form', { onsubmit: act('transfer_order', (x) => ({ order_no: o.order_no, to_department: x.department.value, reason: x.reason.value })) },
          departments.cloneNode(true), h('input', { name: 'reason', placeholder: t('reason'), required: true }),
          h('button', {}, t('transfer'))),
        o.status === 'ORDER_STATUS_PAUSED'
          ? h('form', { onsubmit: act('resume_order', (x) => ({ order_no: o.order_no, note: x.note.value })) },
              h('input', { name: 'note', placeholder: t('note') }), h('button', {}, t('resume')))
          : ['ORDER_STATUS_ACCEPTED', 'ORDER_STATUS_STARTED'].includes(o.status)
            ? h('form', { onsubmit: act('pause_order', (x) => ({ order_no: o.order_no, reason: x.reason.value, note: x.note.value })) },
                h('select', { name: 'reason' }, options('PauseReason', 'WAITING_FOR_OWNER')),
                h('input', { name: 'note', placeholder: t('note'), required: true }), h('button', {}, t('pause')))
            : null,
        directs ? assignForm(o, act) : null)] }))));
  // Its return visits.
  const visits = await api('list_visits', { estate, ticket_no: no, page: { page_size: 20 } }).catch(() => ({ visits: [] }));
  root.append(h('h3', {}, t('visits')), table([t('due'), t('status'), t('satisfaction'), t('score'), t('comment')],
    (visits.visits || []).map((v) => ({ cells: [when((v.scheduled || {}).due_at_ms, estate),
      h('span', { class: v.overdue ? 'late' : '' }, v.done ? t('done') : v.overdue ? t('overdue') : t('to call')),
      label('Satisfaction', (v.result || {}).satisfaction), (v.result || {}).score || '-', (v.result || {}).comment || ''] }))));
  // What happened, oldest first.
  root.append(h('h3', {}, t('timeline')), table([t('when'), t('what'), t('actor'), t('note')],
    (ticket.timeline || []).map((e) => ({ cells: [when(e.at_ms, estate), kindLabel(e.kind), e.actor || '-', e.summary || ''] }))));
  // The unit's earlier cases.
  const before = await api('list_tickets', { estate, unit: f.unit, page: { page_size: 10 } }).catch(() => ({ tickets: [] }));
  root.append(h('h3', {}, t('earlier cases')), table([t('ticket'), t('filed at'), t('status'), t('category'), t('description')],
    (before.tickets || []).filter((x) => x.ticket_no !== no).slice(0, 5).map((x) => ({ key: x.ticket_no,
      cells: [x.ticket_no, when(x.filed_at_ms, estate), label('TicketStatus', x.status), label('Category', x.filed.category),
              x.filed.description] })), (other) => { location.hash = '#/ticket/' + other; }));
  // The ticket's own actions.
  const actions = h('div', { class: 'acts' },
    h('form', { onsubmit: act('add_note', (x) => ({ ticket_no: no, note: x.note.value })) },
      h('input', { name: 'note', placeholder: t('note'), required: true, size: 30 }), h('button', {}, t('add note'))),
    open ? h('form', { onsubmit: act('close_ticket', (x) => ({ ticket_no: no, resolution: x.resolution.value })) },
      h('input', { name: 'resolution', placeholder: t('resolution'), required: true }), h('button', {}, t('close'))) : null,
    !open && ticket.status === 'TICKET_STATUS_CLOSED' ? h('form', { onsubmit: act('reopen_ticket', (x) => ({ ticket_no: no, reason: x.reason.value })) },
      h('input', { name: 'reason', placeholder: t('reason'), required: true }), h('button', {}, t('reopen'))) : null,
    open && directs ? h('form', { onsubmit: act('cancel_ticket', (x) => ({ ticket_no: no, reason: x.reason.value })) },
      h('input', { name: 'reason', placeholder: t('reason'), required: true }), h('button', { class: 'danger' }, t('cancel'))) : null);
  root.append(h('h3', {}, t('actions')), actions, line);
  view.live = (kind, data) => { if (JSON.stringify(data).includes(no)) debounced(view)(); };
}

// A supervisor names who does an order: the estate's people, on shift first.
function assignForm(order, act) {
  const select = h('select', { name: 'staff' }, h('option', { value: '' }, '…'));
  api('list_staff', { estate: order.estate }).then((reply) => {
    const people = (reply.staff || []).filter((s) => s.active !== false)
      .sort((a, b) => Number(b.on_duty || 0) - Number(a.on_duty || 0));
    fill(select, ...people.map((s) => h('option', { value: s.staff_id, selected: s.staff_id === order.staff_id },
      `${s.name || s.staff_id} (${label('Department', s.department)}${s.on_duty ? ' ●' : ''})`)));
  }).catch(() => null);
  return h('form', { class: 'assign', onsubmit: act('assign_order', (x) => ({ order_no: order.order_no, staff_id: x.staff.value, reason: x.reason.value })) },
    select, h('input', { name: 'reason', placeholder: t('reason'), required: true }), h('button', {}, t('assign')));
}

// ---- the front desk: filing --------------------------------------------------------------

async function filePage(root) {
  // One key per filing, kept until it is filed: a double click or a retry files once.
  let key = uuid();
  const result = h('p', { id: 'file-result', role: 'status' });
  const form = h('form', { id: 'file-form', class: 'grid-form', onsubmit: async (event) => {
    event.preventDefault();
    const f = form.elements, button = $('button[type=submit]', form);
    button.disabled = true;
    try {
      const ticket = await api('file_ticket', {
        estate: f.estate.value, unit: f.unit.value.trim(), reporter_name: f.name.value.trim(),
        reporter_phone: f.phone.value.trim(), type: f.type.value, channel: f.channel.value, category: f.category.value,
        description: f.description.value, hazards: [...form.querySelectorAll('input[name=hazard]:checked')].map((x) => x.value),
        photo_urls: f.photos.value.split('\n').map((x) => x.trim()).filter(Boolean), idempotency_key: key,
      });
      say(result, true, `${t('filed')}: ${ticket.ticket_no}`);
      result.dataset.ticket = ticket.ticket_no;
      result.append(' ', h('a', { href: '#/ticket/' + ticket.ticket_no }, '→'));
      form.reset();
      key = uuid();
    } catch (error) {
      say(result, false, `${t('not filed')}: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  } },
    field(t('estate'), h('select', { name: 'estate', required: true }, estateOptions(picked(), false))),
    field(t('unit'), h('input', { name: 'unit', placeholder: '3-2-1502' })),
    field(t('reporter'), h('input', { name: 'name' })),
    field(t('phone'), h('input', { name: 'phone', inputmode: 'tel', required: true,
                                   onchange: () => { if (!form.elements.unit.value.trim()) look(form.elements.phone.value); } })),
    field(t('type'), h('select', { name: 'type' }, options('TicketType', 'REPAIR'))),
    field(t('channel'), h('select', { name: 'channel' }, options('Channel', 'PHONE'))),
    field(t('category'), h('select', { name: 'category' }, options('Category', 'WATER_LEAK'))),
    h('fieldset', { class: 'wide' }, h('legend', {}, t('hazards')),
      values('Hazard').map((x) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'hazard', value: x }), label('Hazard', x)))),
    h('label', { class: 'wide' }, h('span', {}, t('description')), h('textarea', { name: 'description', required: true, maxlength: 2000 })),
    h('label', { class: 'wide' }, h('span', {}, t('photos')), h('textarea', { name: 'photos', rows: 2, placeholder: 'https://…' })),
    h('button', { type: 'submit' }, t('file it')), result);
  // The caller lookup: a phone or a unit, its people, what it owes, its
  // cases; "use" fills the form.
  const found = h('div', { id: 'lookup-result', role: 'status' });
  const box = h('form', { id: 'lookup-form', class: 'inline-form', onsubmit: (event) => {
    event.preventDefault();
    look(box.elements.what.value);
  } }, h('input', { name: 'what', placeholder: t('phone or unit'), inputmode: 'tel', size: 16 }),
    h('button', {}, t('look up')));
  async function look(what) {
    what = (what || '').trim();
    if (!what) return;
    const estate = form.elements.estate.value, query = { estate };
    if (what.includes('-')) query.unit = what; else query.phone = what;
    let answer;
    try { answer = await api('lookup_caller', query); }
    catch (error) { fill(found, h('p', { class: 'bad' }, error.message)); return; }
    const units = answer.units || [];
    if (!units.length) { fill(found, h('p', {}, t('nobody registered'))); return; }
    fill(found, units.map((u) => lookupCard(u, query.phone, (unit, person) => {
      form.elements.unit.value = unit;
      if (person) {
        form.elements.name.value = person.name || '';
        if (query.phone) form.elements.phone.value = query.phone;
        else if ((person.phones || [])[0] && !/\*/.test(person.phones[0])) form.elements.phone.value = person.phones[0];
      }
    })));
  }
  root.append(h('h2', {}, t('file title')), h('section', { class: 'lookup' }, h('h3', {}, t('caller lookup')), box, found),
              form);
}

// One unit a lookup found: the unit, its people, money, open and recent cases.
function lookupCard(u, phone, use) {
  const unit = u.unit || {}, people = (u.household || {}).people || [];
  const matched = people.find((p) => (p.phones || []).includes(phone)) || people[0];
  const cases = (list) => (list || []).map((c) => h('li', {}, h('a', { href: '#/ticket/' + c.ticket_no }, c.ticket_no), ' ',
    label('TicketStatus', c.status), ' · ', when(c.filed_at_ms, u.estate), ' · ', c.summary || ''));
  return h('article', { class: 'card lookup-unit' },
    h('header', {}, h('strong', {}, `${estateName(u.estate)} ${unit.unit}`), ' · ',
      label('Occupancy', unit.occupancy || (unit.occupied ? 'OCCUPANCY_OCCUPIED' : 'OCCUPANCY_VACANT')),
      ' · ', `${t('balance')}: `, h('strong', { class: 'owed' }, yuan(u.balance_fen || 0)),
      ' ', h('button', { type: 'button', class: 'use', onclick: () => use(unit.unit, matched) }, t('use'))),
    h('ul', { class: 'people' }, people.map((p) => h('li', {}, label('PersonRole', p.role), ' ', p.name || '', ' ',
      (p.phones || []).join(', ')))),
    h('p', {}, `${t('open tickets')}: `, (u.open_tickets || []).length ? '' : t('none')),
    h('ul', { class: 'cases' }, cases(u.open_tickets)),
    h('p', {}, t('recent cases')), h('ul', { class: 'cases' }, cases(u.recent)),
    (u.loans_out || []).length ? h('p', { class: 'loans-out' }, `${t('out now')}: `,
      u.loans_out.map((l) => `${label('LoanKind', l.kind)} ${l.tag} · ${l.person || ''} · ${t('due')} ${when(l.due_ms, u.estate)}`)
        .join('；')) : null,
    (u.communications || []).length ? h('ul', { class: 'talks' }, u.communications.map((c) => h('li', {},
      label('CommunicationKind', c.kind), ' · ', when(c.at_ms, u.estate), ' · ', c.person || '', ' · ', c.summary || ''))) : null);
}

// ---- the front desk: the counter ---------------------------------------------------------

async function counterPage(root) {
  const out = h('div', {});
  const form = h('form', { class: 'filters', onsubmit: async (event) => { event.preventDefault(); await show(); } },
    field(t('estate'), h('select', { name: 'estate' }, estateOptions(picked(), false))),
    field(t('unit'), h('input', { name: 'unit', placeholder: '1-1-101', required: true })),
    h('button', {}, t('look up')));
  root.append(h('h2', {}, t('statement')), form, out);
  async function show(receipt) {
    const estate = form.elements.estate.value, unit = form.elements.unit.value.trim();
    let statement;
    try { statement = await api('statement', { estate, unit }); }
    catch (error) { fill(out, h('p', { class: 'error' }, error.message)); return; }
    const line = h('p', { role: 'status' });
    const pay = h('form', { class: 'filters', id: 'pay-form', onsubmit: async (event) => {
      event.preventDefault();
      const f = pay.elements, fen = toFen(f.amount.value);
      if (!fen || fen === '0') { say(line, false, t('amount')); return; }
      try {
        const paid = await api('pay', { estate, unit, amount_fen: fen, payment_ref: f.ref.value, method: f.method.value });
        await show(paid);
      } catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
    } },
      field(t('amount'), h('input', { name: 'amount', inputmode: 'decimal', required: true, size: 10 })),
      field(t('method'), h('select', { name: 'method' }, ['cash', 'wechat', 'alipay', 'card'].map((m) => h('option', { value: m }, t(m))))),
      field(t('reference'), h('input', { name: 'ref', value: 'DESK-' + uuid().slice(0, 8).toUpperCase(), required: true })),
      h('button', {}, t('take payment')));
    fill(out,
      h('p', { class: 'big' }, `${t('balance')}: `, h('strong', { id: 'balance' }, yuan(statement.balance_fen))),
      table([t('when'), t('what'), t('debit'), t('credit'), t('balance')], (statement.lines || []).map((l) => ({
        cells: [when(l.at_ms, estate), l.what, l.debit_fen && l.debit_fen !== '0' ? yuan(l.debit_fen) : '',
                l.credit_fen && l.credit_fen !== '0' ? yuan(l.credit_fen) : '', yuan(l.balance_fen)] }))),
      h('h3', {}, t('take payment')), pay, line,
      receipt ? h('div', { class: 'receipt', id: 'receipt' },
        h('h3', {}, `${estateName(estate)} · ${t('receipt')}`),
        h('dl', { class: 'facts' }, [[t('receipt no'), receipt.receipt_no], [t('unit'), receipt.unit],
          [t('amount'), yuan(receipt.amount_fen)], [t('method'), t(receipt.method) || receipt.method],
          [t('reference'), receipt.payment_ref], [t('when'), when(String(now()), estate)], [t('actor'), me.name]]
          .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
        h('button', { type: 'button', class: 'no-print', onclick: () => window.print() }, t('print'))) : null);
  }
}

// ---- the desk's registers: keys, items lent, things stored --------------------------------

async function registersPage(root) {
  const estate = picked() || (estates()[0] || {}).id;
  const line = h('p', { id: 'loan-result', role: 'status' });
  const lend = h('form', { id: 'lend-form', class: 'grid-form', onsubmit: async (event) => {
    event.preventDefault();
    const f = lend.elements, hours = Number(f.hours.value);
    const loan = { estate, kind: f.kind.value, tag: f.tag.value.trim(), unit: f.unit.value.trim() || undefined,
                   person: f.person.value.trim() || undefined, staff_id: f.staff.value.trim() || undefined,
                   phone: f.phone.value.trim() || undefined, note: f.note.value.trim() || undefined,
                   count: Number(f.count.value) || undefined };
    if (loan.staff_id) { loan.unit = undefined; loan.person = undefined; }
    try {
      const done = await api('lend', { loan, due_in_ms: hours > 0 ? String(Math.round(hours * 3600000)) : undefined });
      say(line, true, `${t('lent')}: ${done.loan_id}, ${t('due')} ${when(done.due_ms, estate)}`);
      line.dataset.loan = done.loan_id;
      lend.reset();
      lend.elements.count.value = 1;
      load();
    } catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  } },
    field(t('what'), h('select', { name: 'kind' }, options('LoanKind', 'KEY'))),
    field(t('tag'), h('input', { name: 'tag', required: true, placeholder: 'K-3-2-1502' })),
    field(t('count'), h('input', { name: 'count', type: 'number', min: 1, max: 999, value: 1 })),
    field(t('unit'), h('input', { name: 'unit', placeholder: '3-2-1502' })),
    field(t('person'), h('input', { name: 'person' })),
    field(t('or staff'), h('input', { name: 'staff', placeholder: 'W01' })),
    field(t('phone'), h('input', { name: 'phone', inputmode: 'tel' })),
    field(t('due in hours'), h('input', { name: 'hours', type: 'number', min: 0, step: 'any', placeholder: t('default') })),
    h('label', { class: 'wide' }, h('span', {}, t('note')), h('input', { name: 'note', maxlength: 500 })),
    h('button', { type: 'submit' }, t('lend')), line);
  const controls = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } },
    field(t('what'), h('select', { name: 'kind' }, options('LoanKind', '', true))),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'out', checked: true }), t('out now')),
    h('button', {}, t('find')));
  const out = h('div', { id: 'loans' });
  root.append(h('h2', {}, t('registers title')), h('h3', {}, t('lend')), lend, h('h3', {}, t('register')), controls, out);
  async function back(loan) {
    try { await api('return_loan', { estate, loan_id: loan.loan_id }); say(line, true, `${t('returned')}: ${loan.loan_id}`); load(); }
    catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  }
  async function load() {
    const f = controls.elements;
    const reply = await api('list_loans', { estate, kind: f.kind.value || undefined, out_only: f.out.checked,
                                            page: { page_size: 100 } });
    fill(out, h('p', { id: 'loans-out' }, t('out overdue', { n: reply.out || 0, m: reply.overdue || 0 })),
      table([t('number'), t('what'), t('tag'), t('lent to'), t('phone'), t('lent at'), t('due'), t('state'), ''],
        (reply.loans || []).map((l) => {
          const isOut = String(l.status).endsWith('OUT');
          return { cells: [l.loan_id, label('LoanKind', l.kind), `${l.tag} ×${l.count || 1}`,
            l.staff_id ? `${t('staff')} ${l.staff_id}` : `${l.unit} ${l.person || ''}`, l.phone || '',
            when(l.lent_at_ms, estate), isOut ? countdown(l.due_ms) : when(l.due_ms, estate),
            isOut ? (l.overdue ? t('overdue') : label('LoanStatus', l.status)) : `${t('returned')} ${when(l.returned_at_ms, estate)}`,
            isOut ? h('button', { type: 'button', class: 'return', onclick: () => back(l) }, t('return')) : ''] };
        })));
  }
  await load();
  view.live = (kind) => { if (kind.startsWith('desk.')) debounced(load)(); };
}

// ---- the desk's release permits (放行条) -------------------------------------------------------

async function permitsPage(root) {
  const estate = picked() || (estates()[0] || {}).id;
  const overrides = me.role === 'ROLE_SUPERVISOR' || me.role === 'ROLE_MANAGER';
  const line = h('p', { id: 'permit-result', role: 'status' });
  const form = h('form', { id: 'permit-form', class: 'grid-form', onsubmit: async (event) => {
    event.preventDefault();
    const f = form.elements;
    const permit = { estate, unit: f.unit.value.trim(), person: f.person.value.trim(),
                     items: f.items.value.split('\n').map((x) => x.trim()).filter(Boolean),
                     plate: f.plate.value.trim() || undefined };
    if (f.date.value) permit.date = Number(f.date.value.replace(/-/g, ''));
    try {
      const done = await api('issue_permit', { permit, override_reason: (f.reason && f.reason.value.trim()) || undefined });
      say(line, true, `${t('permit issued')}: ${done.permit_id}`);
      line.dataset.permit = done.permit_id;
      form.reset();
      load();
    } catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  } },
    field(t('unit'), h('input', { name: 'unit', required: true, placeholder: '3-2-1502' })),
    field(t('owner or tenant'), h('input', { name: 'person', required: true })),
    field(t('plate'), h('input', { name: 'plate', placeholder: '沪A12345' })),
    field(t('day'), h('input', { name: 'date', type: 'date', value: localDate(now(), estate) })),
    h('label', { class: 'wide' }, h('span', {}, t('items one a line')), h('textarea', { name: 'items', required: true, rows: 3 })),
    overrides ? h('label', { class: 'wide' }, h('span', {}, t('override reason')), h('input', { name: 'reason', maxlength: 200 })) : null,
    h('button', { type: 'submit' }, t('issue permit')), line);
  const controls = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } },
    field(t('day'), h('input', { name: 'date', type: 'date', value: localDate(now(), estate) })),
    h('button', {}, t('find')));
  const out = h('div', { id: 'permits' });
  root.append(h('h2', {}, t('permits title')), form, h('h3', {}, t('permits of the day')), controls, out);
  async function gate(p) {
    try { await api('use_permit', { estate, permit_id: p.permit_id }); say(line, true, `${t('let out')}: ${p.permit_id}`); load(); }
    catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  }
  async function load() {
    const day = controls.elements.date.value;
    const reply = await api('list_permits', { estate, date: day ? Number(day.replace(/-/g, '')) : undefined,
                                              page: { page_size: 100 } });
    fill(out, table([t('number'), t('unit'), t('person'), t('items'), t('plate'), t('state'), t('override reason'), ''],
      (reply.permits || []).map((p) => ({ cells: [p.permit_id, p.unit, p.person, (p.items || []).join('、'), p.plate || '',
        label('PermitStatus', p.status), p.override_reason ? `${yuan(p.owed_fen)} · ${p.override_reason}` : '',
        String(p.status).endsWith('ISSUED') ? h('button', { type: 'button', class: 'gate', onclick: () => gate(p) }, t('let out')) : ''] }))));
  }
  await load();
  view.live = (kind) => { if (kind.startsWith('desk.')) debounced(load)(); };
}

// ---- the desk's violations (违章) ------------------------------------------------------------

async function violationsPage(root) {
  const estate = picked() || (estates()[0] || {}).id;
  const fines = me.role === 'ROLE_SUPERVISOR' || me.role === 'ROLE_MANAGER';
  const line = h('p', { id: 'violation-result', role: 'status' });
  const form = h('form', { id: 'violation-form', class: 'grid-form', onsubmit: async (event) => {
    event.preventDefault();
    const f = form.elements;
    const violation = { estate, unit: f.unit.value.trim(), category: f.category.value, description: f.what.value.trim(),
                        notice_served_to: f.served.value.trim() || undefined,
                        evidence_urls: f.evidence.value.split('\n').map((x) => x.trim()).filter(Boolean) };
    try {
      const done = await api('record_violation', { violation, rectify_in_ms: String(Math.round(Number(f.days.value) * 86400000)) });
      say(line, true, `${t('recorded')}: ${done.violation_id} (${t('nth of unit', { n: done.unit_count })})`);
      line.dataset.violation = done.violation_id;
      form.reset();
      form.elements.days.value = 3;
      load();
    } catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  } },
    field(t('unit'), h('input', { name: 'unit', required: true, placeholder: '3-2-1502' })),
    field(t('category'), h('select', { name: 'category' }, options('ViolationCategory', 'OTHER'))),
    field(t('served to'), h('input', { name: 'served' })),
    field(t('rectify in days'), h('input', { name: 'days', type: 'number', min: 0.1, step: 'any', value: 3, required: true })),
    h('label', { class: 'wide' }, h('span', {}, t('what was seen')), h('input', { name: 'what', required: true, maxlength: 1000 })),
    h('label', { class: 'wide' }, h('span', {}, t('evidence')), h('textarea', { name: 'evidence', rows: 2, placeholder: 'https://…' })),
    h('button', { type: 'submit' }, t('record violation')), line);
  const controls = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } },
    field(t('unit'), h('input', { name: 'unit', placeholder: '3-2-1502', size: 10 })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'open', checked: true }), t('open only')),
    h('button', {}, t('find')));
  const out = h('div', { id: 'violations' });
  root.append(h('h2', {}, t('violations title')), form, h('h3', {}, t('register')), controls, out);
  const act = (command, body) => async (event) => {
    event.preventDefault();
    try { await api(command, body(event.target.elements)); say(line, true, t('saved')); load(); }
    catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  };
  async function load() {
    const f = controls.elements;
    const reply = await api('list_violations', { estate, unit: f.unit.value.trim() || undefined, open_only: f.open.checked,
                                                 page: { page_size: 100 } });
    fill(out, table([t('number'), t('unit'), t('nth'), t('category'), t('rectify by'), t('state'), t('fine'), t('what'), ''],
      (reply.violations || []).map((v) => {
        const open = String(v.status).endsWith('OPEN');
        const follow = h('form', { class: 'inline-form follow', onsubmit: act('follow_violation', (e) => ({
          estate, violation_id: v.violation_id, note: e.note.value, close: e.close.checked })) },
          h('input', { name: 'note', required: true, placeholder: t('follow-up'), size: 14 }),
          h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'close' }), t('close it')),
          h('button', {}, t('save')));
        const fine = h('form', { class: 'inline-form fine', onsubmit: act('fine_violation', (e) => ({
          estate, violation_id: v.violation_id, amount_fen: toFen(e.amount.value), reason: e.reason.value })) },
          h('input', { name: 'amount', inputmode: 'decimal', required: true, size: 6, placeholder: '¥' }),
          h('input', { name: 'reason', required: true, placeholder: t('rule broken'), size: 12 }),
          h('button', {}, t('fine it')));
        return { cells: [v.violation_id, v.unit, v.unit_count, label('ViolationCategory', v.category),
          open ? countdown(v.rectify_by_ms) : when(v.rectify_by_ms, estate),
          label('ViolationStatus', v.status) + (open && v.overdue ? ` · ${t('overdue')}` : ''),
          v.fine_fen && v.fine_fen !== '0' ? yuan(v.fine_fen) : '', v.outcome || v.description,
          h('div', {}, open ? follow : '', open && fines && !(v.fine_fen && v.fine_fen !== '0') ? fine : '')] };
      })));
  }
  await load();
  view.live = (kind) => { if (kind.startsWith('violation.')) debounced(load)(); };
}

// ---- messages to people (kefu-notify) ----------------------------------------------------

// What was told to whom, when, through which channel, and what failed;
// an alarm (failed, uncertain) is ended here by a supervisor: sent again,
// or dismissed with the reason.
async function messagesPage(root) {
  const estate = picked() || (estates()[0] || {}).id;
  const ends = me.role === 'ROLE_SUPERVISOR' || me.role === 'ROLE_MANAGER';
  const line = h('p', { id: 'message-result', role: 'status' });
  const controls = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } },
    field(t('state'), h('select', { name: 'status' }, options('DeliveryStatus', '', true))),
    field(t('ticket'), h('input', { name: 'ticket', size: 20, placeholder: 'E001-20261201-0001' })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'alarms' }), t('alarms only')),
    h('button', {}, t('find')));
  const alarms = h('p', { id: 'message-alarms' });
  const out = h('div', { id: 'messages' });
  root.append(h('h2', {}, t('messages title')), controls, alarms, line, out);
  const act = (command, body) => async (event) => {
    event.preventDefault();
    try { await api(command, body(event.target.elements)); say(line, true, t('saved')); load(); }
    catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  };
  async function load() {
    const f = controls.elements;
    const reply = await api('list_deliveries', { estate, status: f.status.value || undefined,
                                                 ticket_no: f.ticket.value.trim() || undefined,
                                                 alarms: f.alarms.checked, page: { page_size: 100 } });
    alarms.textContent = t('open alarms', { n: reply.alarms || 0 });
    alarms.classList.toggle('late', Number(reply.alarms || 0) > 0);
    fill(out, table([t('made'), t('about'), t('channel'), t('recipient'), t('state'), t('tries'), t('sent at'), t('ticket'),
                     t('reason'), ''],
      (reply.deliveries || []).map((d) => {
        const alarm = /_(FAILED|UNCERTAIN)$/.test(d.status);
        const again = h('form', { class: 'inline-form again', onsubmit: act('retry_delivery', () => ({ estate, id: d.id })) },
          h('button', {}, t('send again')));
        const dismiss = h('form', { class: 'inline-form dismiss', onsubmit: act('dismiss_delivery', (e) => ({
          estate, id: d.id, reason: e.reason.value.trim() })) },
          h('input', { name: 'reason', required: true, placeholder: t('why'), size: 14 }),
          h('button', {}, t('dismiss')));
        const to = d.recipient || {};
        return { cells: [when(d.created_at_ms, estate), kindLabel(d.kind), label('NotifyChannel', d.channel),
          `${to.name || '-'} ${to.address || ''}`.trim(), label('DeliveryStatus', d.status), d.attempts || 0,
          d.sent_at_ms ? when(d.sent_at_ms, estate) : '',
          d.ticket_no ? h('a', { href: '#/ticket/' + d.ticket_no }, d.ticket_no) : '', d.reason || '',
          alarm && ends ? h('div', {}, again, dismiss) : ''] };
      })));
  }
  await load();
  view.live = (kind) => { if (kind.startsWith('notification.') || kind === 'resync') debounced(load)(); };
}

// ---- the desk's duty log, its handover, and its communications -----------------------------

async function dutyPage(root) {
  const estate = picked() || (estates()[0] || {}).id;
  const supervisor = me.role === 'ROLE_SUPERVISOR' || me.role === 'ROLE_MANAGER';
  const line = h('p', { id: 'duty-result', role: 'status' });
  const pick = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } },
    field(t('day'), h('input', { name: 'date', type: 'date', value: localDate(now(), estate) })),
    field(t('shift'), h('input', { name: 'shift', value: 'day', required: true, size: 8 })),
    h('button', {}, t('find')));
  const day = () => Number(pick.elements.date.value.replace(/-/g, '')) || undefined;
  const shift = () => pick.elements.shift.value.trim();
  const run = (command, body) => async (event) => {
    event.preventDefault();
    try {
      await api(command, body(event.target.elements));
      say(line, true, t('saved'));
      if (event.target.reset) event.target.reset();
      load();
    }
    catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  };
  const log = h('form', { id: 'log-form', class: 'inline-form', onsubmit: run('log_duty', (f) => ({ estate, date: day(),
    shift: shift(), entry: { kind: f.kind.value, text: f.text.value.trim(),
                             amount_fen: f.amount.value ? toFen(f.amount.value) : undefined } })) },
    h('select', { name: 'kind' }, options('DutyEntryKind', 'EVENT')),
    h('input', { name: 'text', required: true, placeholder: t('what'), size: 30 }),
    h('input', { name: 'amount', inputmode: 'decimal', placeholder: '¥', size: 6 }), h('button', {}, t('log it')));
  const over = h('form', { id: 'handover-form', class: 'inline-form', onsubmit: run('hand_over', (f) => ({ estate,
    date: day(), shift: shift(), to: f.to.value.trim(), note: f.note.value.trim() || undefined })) },
    h('input', { name: 'to', required: true, placeholder: t('incoming staff'), size: 10 }),
    h('input', { name: 'note', placeholder: t('note'), size: 20 }), h('button', {}, t('hand over')));
  const take = h('button', { type: 'button', id: 'takeover', onclick: run('take_over', () => ({ estate, date: day(), shift: shift() })) },
    t('take over'));
  const check = h('form', { id: 'check-form', class: 'inline-form', onsubmit: run('check_handovers', (f) => ({ estate,
    date: day(), note: f.note.value.trim() || undefined })) },
    h('input', { name: 'note', placeholder: t('note'), size: 20 }), h('button', {}, t('checked')));
  const out = h('div', { id: 'shifts' });
  const talk = h('form', { id: 'talk-form', class: 'grid-form', onsubmit: run('record_communication', (f) => ({
    communication: { estate, unit: f.unit.value.trim(), person: f.person.value.trim(), kind: f.kind.value,
                     channel: f.channel.value, summary: f.summary.value.trim(),
                     follow_up_by: f.owner.value.trim() || undefined },
    follow_up_in_ms: f.owner.value.trim() ? String(Math.round(Number(f.days.value || 1) * 86400000)) : undefined })) },
    field(t('unit'), h('input', { name: 'unit', required: true, placeholder: '3-2-1502' })),
    field(t('person'), h('input', { name: 'person', required: true })),
    field(t('type'), h('select', { name: 'kind' }, options('CommunicationKind', 'CONTACT'))),
    field(t('channel'), h('select', { name: 'channel' }, options('CommunicationChannel', 'PHONE'))),
    h('label', { class: 'wide' }, h('span', {}, t('what was said')), h('input', { name: 'summary', required: true, maxlength: 2000 })),
    field(t('follow-up owner'), h('input', { name: 'owner', placeholder: 'F01', size: 8 })),
    field(t('follow-up in days'), h('input', { name: 'days', type: 'number', min: 0.1, step: 'any', value: 1 })),
    h('button', { type: 'submit' }, t('record talk')));
  root.append(h('h2', {}, t('duty title')), pick, line, h('h3', {}, t('duty log')), log, h('h3', {}, t('handover')),
              over, take, supervisor ? h('h3', {}, t('daily check')) : null, supervisor ? check : null, out,
              h('h3', {}, t('talk title')), talk);
  async function load() {
    const reply = await api('list_shifts', { estate, date: day() });
    fill(out, ...(reply.shifts || []).map((s) => h('article', { class: 'card shift' },
      h('header', {}, h('strong', {}, s.shift), s.handed_by ? ` · ${t('handed')} ${s.handed_by} → ${s.handed_to}` : '',
        s.taken_by ? ` · ${t('taken')} ${s.taken_by}` : '', s.checked_by ? ` · ${t('checked')} ${s.checked_by}` : ''),
      table([t('when'), t('actor'), t('type'), t('what')], (s.entries || []).map((e) => ({ cells: [when(e.at_ms, estate),
        e.by, label('DutyEntryKind', e.kind), e.text + (e.amount_fen && e.amount_fen !== '0' ? ` ${yuan(e.amount_fen)}` : '')] }))),
      s.open ? h('ul', { class: 'open' },
        h('li', {}, `${t('open tickets')}: ${s.open.ticket_count || 0} ${(s.open.tickets || []).join(', ')}`),
        h('li', {}, `${t('out now')}: ${(s.open.loans_out || []).join(', ') || t('none')}`),
        h('li', {}, `${t('tab permits')}: ${(s.open.permits_pending || []).join(', ') || t('none')}`),
        h('li', {}, `${t('tab violations')}: ${(s.open.violations_open || []).join(', ') || t('none')}`),
        h('li', {}, `${t('targets missed')}: ${(s.open.breaches || []).join(', ') || t('none')}`)) : null)));
  }
  await load();
  view.live = (kind) => { if (kind.startsWith('desk.')) debounced(load)(); };
}

// ---- renovations: the application, its reviews, the patrols -------------------------------

async function renovationsPage(root) {
  const estate = picked() || (estates()[0] || {}).id;
  const line = h('p', { id: 'renovation-result', role: 'status' });
  const call = (command, body) => async (event) => {
    if (event) event.preventDefault();
    try {
      const r = await api(command, body(event && event.target.elements));
      say(line, true, `${t('saved')}: ${r.renovation_id}`);
      line.dataset.renovation = r.renovation_id;
      if (event && event.target.reset) event.target.reset();
      load();
    } catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  };
  const form = h('form', { id: 'renovation-form', class: 'grid-form', onsubmit: call('submit_renovation', (f) => ({
    renovation: { estate, unit: f.unit.value.trim(), applicant: f.applicant.value.trim(), contractor: f.contractor.value.trim(),
                  description: f.what.value.trim(), plan_urls: f.plans.value.split('\n').map((x) => x.trim()).filter(Boolean),
                  workers: f.workers.value.split('\n').map((x) => x.trim()).filter(Boolean).map((x) => {
                    const [name, id_last4, phone] = x.split(/[,，:]\s*/); return { name, id_last4, phone }; }),
                  start_date: Number(f.from.value.replace(/-/g, '')), end_date: Number(f.until.value.replace(/-/g, '')) } })) },
    field(t('unit'), h('input', { name: 'unit', required: true, placeholder: '3-2-1502' })),
    field(t('applicant'), h('input', { name: 'applicant', required: true })),
    field(t('contractor'), h('input', { name: 'contractor', required: true })),
    field(t('from'), h('input', { name: 'from', type: 'date', required: true })),
    field(t('to'), h('input', { name: 'until', type: 'date', required: true })),
    h('label', { class: 'wide' }, h('span', {}, t('what')), h('input', { name: 'what', required: true, maxlength: 1000 })),
    h('label', { class: 'wide' }, h('span', {}, t('plans')), h('textarea', { name: 'plans', rows: 2, required: true, placeholder: 'https://…' })),
    h('label', { class: 'wide' }, h('span', {}, t('workers')), h('textarea', { name: 'workers', rows: 2, required: true,
                                                                       placeholder: '王师傅, 123X, 13900000009' })),
    h('button', { type: 'submit' }, t('apply')), line);
  const out = h('div', { id: 'renovations' });
  root.append(h('h2', {}, t('renovations title')), form, out);
  const id = (r) => ({ estate, renovation_id: r.renovation_id });
  async function load() {
    const reply = await api('list_renovations', { estate, page: { page_size: 100 } });
    fill(out, table([t('number'), t('unit'), t('applicant'), t('state'), t('reviews due'), t('patrols'), ''],
      (reply.renovations || []).map((r) => {
        const status = String(r.status).replace('RENOVATION_STATUS_', '');
        const acts = [];
        if (status === 'SUBMITTED' || status === 'REVIEWED') {
          acts.push(h('button', { type: 'button', class: 'approve', onclick: () => call('review_renovation', () => ({ ...id(r), approved: true }))() },
            status === 'SUBMITTED' ? t('first review') : t('second review')));
          acts.push(h('form', { class: 'inline-form refuse', onsubmit: call('review_renovation', (f) => ({ ...id(r), approved: false,
            reason: f.reason.value })) }, h('input', { name: 'reason', required: true, size: 10, placeholder: t('reason') }),
            h('button', {}, t('refuse'))));
        }
        if (status === 'APPROVED') acts.push(h('button', { type: 'button', class: 'start', onclick: () => call('start_renovation', () => id(r))() }, t('work starts')));
        if (status === 'WORKING') {
          acts.push(h('form', { class: 'inline-form patrol', onsubmit: call('patrol_renovation', (f) => ({ ...id(r),
            findings: f.finding.value.trim() ? [f.finding.value.trim()] : [], raise_violations: !!f.finding.value.trim() })) },
            h('input', { name: 'finding', size: 12, placeholder: t('finding') }), h('button', {}, t('patrolled'))));
          acts.push(h('form', { class: 'inline-form complete', onsubmit: call('complete_renovation', (f) => ({ ...id(r),
            note: f.note.value, passed: true })) }, h('input', { name: 'note', required: true, size: 10, placeholder: t('note') }),
            h('button', {}, t('inspected'))));
        }
        return { cells: [r.renovation_id, r.unit, r.applicant, label('RenovationStatus', r.status),
          status === 'SUBMITTED' || status === 'REVIEWED' ? countdown(r.review_due_ms) : when(r.review_due_ms, estate),
          `${r.patrols_done || 0} / ${r.patrols_missed || 0}`, h('div', {}, ...acts)] };
      })));
  }
  await load();
  view.live = (kind) => { if (kind.startsWith('renovation.')) debounced(load)(); };
}

// ---- supervisors: the SLA board ----------------------------------------------------------

async function boardPage(root) {
  const state = { sort: 'deadline_ms', dir: 1 };
  const controls = h('form', { class: 'filters', oninput: () => draw(), onsubmit: (e) => e.preventDefault() },
    field(t('estate'), h('select', { name: 'estate' }, estateOptions(picked(), estates().length > 1))),
    field(t('level'), h('select', { name: 'level' }, options('EscalationLevel', '', true))),
    field(t('department'), h('select', { name: 'department' }, options('Department', '', true))),
    field(t('filter'), h('input', { name: 'text', type: 'search', size: 14 })));
  const mine = h('div', {}), out = h('div', {});
  root.append(h('h2', {}, t('board title')), mine, controls, out);
  let risks = [];
  async function load() {
    const reply = await api('sla_board', { all: true, limit: 500 });
    risks = reply.risks || [];
    draw();
  }
  const columns = [['ticket_no', t('ticket')], ['estate', t('estate')], ['target', t('target')], ['deadline_ms', t('due')],
                   ['remaining_ms', t('left')], ['level', t('level')], ['department', t('department')],
                   ['handler', t('handler')], ['category', t('category')]];
  // A deadline's row (a vacant unit's inspection) names what it is; only a
  // ticket's row opens the ticket.
  const row = (r) => ({ key: r.ticket_no || '', cells: [r.ticket_no || (r.deadline && (r.deadline.what || r.deadline.subject)),
    estateName(r.estate), label('SlaTarget', r.target),
    when(r.deadline_ms, r.estate), countdown(r.deadline_ms),
    label('EscalationLevel', r.level), label('Department', r.department), r.handler || t('queue'), label('Category', r.category)] });
  const go = (no) => { if (no) location.hash = '#/ticket/' + no; };
  function draw() {
    const f = controls.elements, text = f.text.value.trim().toLowerCase();
    const shown = risks.filter((r) => (!f.estate.value || r.estate === f.estate.value)
      && (!f.level.value || String(r.level).endsWith(f.level.value))
      && (!f.department.value || String(r.department).endsWith(f.department.value))
      && (!text || `${r.ticket_no || (r.deadline && r.deadline.what) || ''} ${r.handler || ''}`.toLowerCase().includes(text)));
    const key = state.sort, numeric = key.endsWith('_ms');
    shown.sort((a, b) => state.dir * (numeric ? Number(a[key]) - Number(b[key]) : String(a[key] || '').localeCompare(String(b[key] || ''))));
    const heading = columns.map(([k, name]) => h('button', { type: 'button', class: 'sort', onclick: () => {
      state.dir = state.sort === k ? -state.dir : 1; state.sort = k; draw(); } }, name + (state.sort === k ? (state.dir > 0 ? ' ▲' : ' ▼') : '')));
    fill(out, h('p', {}, t('rows', { n: shown.length })), table(heading, shown.map(row), go));
    // What waits on the person looking: from level 2 up for supervisors
    // (the chain goes on until it is resolved), level 3 for managers.
    const levels = me.role === 'ROLE_MANAGER' ? ['DEPUTY_GM'] : me.role === 'ROLE_SUPERVISOR' ? ['SUPERVISOR', 'DEPUTY_GM'] : null;
    const waiting = levels ? risks.filter((r) => levels.some((l) => String(r.level).endsWith(l))) : [];
    fill(mine, ...(levels ? [h('h3', {}, t('escalated to me'), ` (${waiting.length})`),
      waiting.length ? table(columns.map((c) => c[1]), waiting.map(row), go) : h('p', {}, t('none'))] : []));
  }
  await load();
  view.live = debounced(load);
}

// ---- supervisors: orders -----------------------------------------------------------------

async function ordersPage(root) {
  const controls = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } },
    field(t('estate'), h('select', { name: 'estate' }, estateOptions(picked(), estates().length > 1))),
    field(t('status'), h('select', { name: 'status' }, options('OrderStatus', 'QUEUED', true))),
    h('button', {}, t('find')));
  const out = h('div', {}), line = h('p', { role: 'status' });
  root.append(h('h2', {}, t('orders title')), controls, line, out);
  const act = (command, body) => async (event) => {
    event.preventDefault();
    try { await api(command, body(event.target)); say(line, true, t('saved')); load(); }
    catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
  };
  async function load() {
    const f = controls.elements;
    const reply = await api('list_orders', { estate: f.estate.value || undefined, status: f.status.value || undefined,
                                              page: { page_size: 100 } });
    fill(out, table([t('ticket'), t('estate'), t('department'), t('status'), t('assignee'), t('due'), t('assign')],
      (reply.orders || []).map((o) => ({ cells: [h('a', { href: '#/ticket/' + o.created.ticket_no }, o.order_no), estateName(o.estate),
        label('Department', o.created.department), label('OrderStatus', o.status), o.staff_id || t('queue'),
        when(o.created.due_at_ms, o.estate), assignForm(o, act)] }))));
  }
  await load();
  view.live = (kind) => { if (kind.startsWith('order.')) debounced(load)(); };
}

// ---- supervisors: return visits ----------------------------------------------------------

async function visitsPage(root) {
  const estate = picked() || (estates()[0] || {}).id;
  const controls = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } },
    field(t('estate'), h('select', { name: 'estate' }, estateOptions(estate, false))),
    field(t('due before'), h('input', { name: 'due', type: 'date', value: localDate(now(), estate) })),
    h('button', {}, t('find')));
  const out = h('div', {}), line = h('p', { role: 'status' });
  root.append(h('h2', {}, t('visits title')), controls, line, out);
  async function load() {
    const f = controls.elements;
    const reply = await api('list_visits', { estate: f.estate.value, pending_only: true,
                                              due_before_ms: midnight(f.due.value, f.estate.value, true), page: { page_size: 100 } });
    fill(out, table([t('ticket'), t('unit'), t('category'), t('due'), t('answer')],
      (reply.visits || []).map((v) => {
        const s = v.scheduled || {};
        const form = h('form', { class: 'answer', onsubmit: async (event) => {
          event.preventDefault();
          const x = form.elements;
          try {
            await api('answer_visit', { visit_id: s.visit_id, reached: x.reached.checked,
              satisfaction: x.reached.checked ? x.satisfaction.value : undefined,
              score: x.reached.checked ? Number(x.score.value) : undefined, comment: x.comment.value || undefined });
            say(line, true, t('saved')); load();
          } catch (error) { say(line, false, `${t('failed')}: ${error.message}`); }
        } },
          h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'reached', checked: true }), t('reached')),
          h('select', { name: 'satisfaction' }, options('Satisfaction', 'SATISFIED')),
          h('select', { name: 'score' }, [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, n))),
          h('input', { name: 'comment', placeholder: t('comment') }), h('button', {}, t('answer')));
        return { cells: [h('a', { href: '#/ticket/' + s.ticket_no }, s.ticket_no), s.unit, label('Category', s.category),
                         h('span', { class: v.overdue ? 'late' : '' }, when(s.due_at_ms, v.estate)), form] };
      })));
  }
  await load();
  view.live = (kind) => { if (kind.startsWith('visit.')) debounced(load)(); };
}

// ---- supervisors: the quarterly evaluation -----------------------------------------------

async function evaluationPage(root) {
  const estate = picked() || (estates()[0] || {}).id;
  const today = localDate(now(), estate);
  const controls = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } },
    field(t('estate'), h('select', { name: 'estate' }, estateOptions(estate, false))),
    field(t('year'), h('input', { name: 'year', type: 'number', value: today.slice(0, 4), min: 2000, max: 2100 })),
    field(t('quarter'), h('select', { name: 'quarter' }, [1, 2, 3, 4].map((q) =>
      h('option', { value: q, selected: q === Math.floor((Number(today.slice(5, 7)) - 1) / 3) + 1 }, 'Q' + q)))),
    h('button', {}, t('show')));
  const out = h('div', {});
  root.append(h('h2', {}, t('evaluation title')), controls, out);
  async function load() {
    const f = controls.elements;
    try {
      const v = await api('evaluation_status', { evaluation_id: `${f.estate.value}-${f.year.value}Q${f.quarter.value}`,
                                                  page: { page_size: 500 } });
      const drawn = ((v.sample || {}).units || []).length;
      fill(out, h('dl', { class: 'facts' },
        [[t('drawn'), drawn], [t('answered'), `${v.answered || 0} (${drawn ? Math.round(100 * (v.answered || 0) / drawn) : 0} %)`],
         [t('closes'), when((v.sample || {}).closes_at_ms, v.estate)]].map(([k, x]) => [h('dt', {}, k), h('dd', {}, x)])),
        h('h3', {}, t('not answered'), ` (${(v.not_answered || []).length})`),
        h('ul', { class: 'units' }, (v.not_answered || []).map((u) => h('li', {}, u))));
    } catch (error) { fill(out, h('p', { class: 'error' }, error.message)); }
  }
  await load();
}

// ---- supervisors: reports ----------------------------------------------------------------

async function reportsPage(root) {
  const estate = picked();
  const today = localDate(now(), estate);
  const controls = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); load(); } },
    field(t('estate'), h('select', { name: 'estate' }, estateOptions(estate, estates().length > 1))),
    field(t('from'), h('input', { name: 'from', type: 'date', value: today.slice(0, 8) + '01' })),
    field(t('to'), h('input', { name: 'to', type: 'date', value: today })),
    h('button', {}, t('show')));
  const out = h('div', { class: 'reports' });
  root.append(h('h2', {}, t('reports title')), controls, out);
  const panel = (title, name, headings, rows, chart, extra) => h('section', { class: 'report', 'data-report': name },
    h('h3', {}, title, ' ', csvLink(name, headings, rows)), extra || null, chart, table(headings, rows.map((cells) => ({ cells }))));
  const safe = (promise) => promise.catch((error) => ({ error: error.message }));
  async function load() {
    const f = controls.elements, e = f.estate.value || undefined;
    const period = { from_ms: midnight(f.from.value, e), to_ms: midnight(f.to.value, e, true) };
    const month = (d) => Number(d.slice(0, 4)) * 100 + Number(d.slice(5, 7));
    const [sla, byDept, byTech, collection, pareto, daily] = await Promise.all([
      safe(api('report_sla', { estate: e, period, group_by: 'department' })),
      safe(api('report_satisfaction', { estate: e, period, group_by: 'department' })),
      safe(api('report_satisfaction', { estate: e, period, group_by: 'technician' })),
      safe(api('report_collection', { estate: e, period_from: month(f.from.value), period_to: month(f.to.value) })),
      safe(api('report_pareto', { estate: e, period })),
      e ? safe(api('daily_report', { estate: e, date: Number(f.to.value.replace(/-/g, '')) })) : Promise.resolve(null),
    ]);
    const dept = (key) => (/^[A-Z_]+$/.test(key || '') ? label('Department', key) : key);
    const error = (r) => (r && r.error ? h('p', { class: 'error' }, r.error) : null);
    const slaRows = (sla.rows || []).map((r) => [dept(r.key), r.total, r.on_time, permille(r.on_time_permille)]);
    const satRows = (r) => (r.rows || []).map((x) => [dept(x.key), x.answered, x.satisfied, permille(x.satisfied_permille),
                                                      ((x.mean_score_centi || 0) / 100).toFixed(2)]);
    const colRows = (collection.rows || []).map((r) => [estateName(r.estate), yuan(r.billed_fen), yuan(r.collected_fen),
                                                         permille(r.rate_permille)]);
    const parRows = (pareto.rows || []).map((r) => [label('Category', r.category), r.count, permille(r.cumulative_permille)]);
    const satHead = [t('key'), t('answered'), t('satisfied'), t('rate'), t('mean score')];
    const chartOf = (rows, value) => bars(rows.map((r) => ({ name: r[0], value: value(r), label: r[3] })));
    fill(out,
      panel(t('report sla'), 'on-time', [t('key'), t('total'), t('on time'), t('rate')], slaRows,
            chartOf(slaRows, (r) => parseFloat(r[3]) || 0),
            [error(sla), h('p', {}, `${t('complaint handling')}: ${permille(sla.complaint_handling_permille)}`)]),
      panel(t('report satisfaction dept'), 'satisfaction-department', satHead, satRows(byDept),
            chartOf(satRows(byDept), (r) => parseFloat(r[3]) || 0), error(byDept)),
      panel(t('report satisfaction tech'), 'satisfaction-technician', satHead, satRows(byTech),
            chartOf(satRows(byTech), (r) => parseFloat(r[3]) || 0), error(byTech)),
      panel(t('report collection'), 'collection', [t('estate'), t('billed'), t('collected'), t('rate')], colRows,
            chartOf(colRows, (r) => parseFloat(r[3]) || 0), error(collection)),
      panel(t('report pareto'), 'pareto', [t('category'), t('count'), t('cumulative')], parRows,
            bars((pareto.rows || []).map((r) => ({ name: label('Category', r.category), value: r.count,
                                                   line: r.cumulative_permille, mark: r.vital_few })), true), error(pareto)),
      e ? panel(`${t('report daily')} · ${f.to.value}`, 'daily', [t('what'), t('count')],
                daily && !daily.error ? [[t('daily filed'), daily.filed || 0], [t('daily closed'), daily.closed || 0],
                  [t('daily open'), daily.open_at_end || 0], [t('daily complaints'), daily.complaints || 0],
                  [t('daily repairs'), daily.repairs || 0], [t('daily breaches'), daily.breaches || 0],
                  [t('daily visits'), daily.visits_done || 0], [t('daily visits satisfied'), daily.visits_satisfied || 0]] : [],
                daily && !daily.error ? bars([['daily filed', daily.filed], ['daily closed', daily.closed],
                  ['daily breaches', daily.breaches]].map(([k, v]) => ({ name: t(k), value: v || 0 }))) : null,
                daily && daily.error ? h('p', {}, t('no daily')) : null) : null);
  }
  await load();
}

// ---- technicians: my orders and my rounds, on a phone ------------------------------------

// A reading as typed ("0.85", "-1,5") in thousandths of its unit, a string
// integer ("850"): the decimal is read as text, no floats on the way. null
// when it is not a number of at most three decimals.
const toMilli = (text) => toScaled(text, 3, true);
// Thousandths as people read them: "850" -> "0.85".
function milli(value) {
  const n = BigInt(value || 0), a = n < 0n ? -n : n;
  const places = String(a % 1000n).padStart(3, '0').replace(/0+$/, '');
  return (n < 0n ? '-' : '') + (a / 1000n) + (places ? '.' + places : '');
}
const isSet = (ms) => Boolean(ms) && ms !== '0';

// A round still to walk: due, named, under way, or missed once begun (it may be finished late).
const roundOpen = (r) => ['ROUND_STATUS_DUE', 'ROUND_STATUS_ASSIGNED', 'ROUND_STATUS_STARTED'].includes(r.status)
  || (r.status === 'ROUND_STATUS_MISSED' && isSet(r.started_at_ms));

// What is typed into a page's forms marked data-keep, put back once the page
// is drawn again (an event, another card's step): nobody types a checkpoint twice.
function keepTyped(root) {
  const key = (form, input) => `${form.dataset.keep}\n${input.name}\n${input.type === 'radio' ? input.value : ''}`;
  const typed = new Map();
  for (const form of root.querySelectorAll('form[data-keep]'))
    for (const input of form.elements)
      if (input.name) typed.set(key(form, input), input.type === 'radio' ? input.checked : input.value);
  return () => {
    for (const form of root.querySelectorAll('form[data-keep]'))
      for (const input of form.elements) {
        const value = input.name ? typed.get(key(form, input)) : undefined;
        if (value === undefined) continue;
        if (input.type === 'radio') input.checked = value;
        else input.value = value;
      }
  };
}

async function minePage(root) {
  const out = h('div', { class: 'cards' }), rounds = h('div', { class: 'cards' }), line = h('p', { role: 'status' });
  root.append(h('h2', {}, t('mine title')), line, out, h('h2', {}, t('my rounds')), rounds);
  // A step: the button pressed (or the form's) is off until the answer; a
  // refusal is said where it was asked (a round's card), else at the top.
  const act = (command, body, where) => async (event) => {
    event.preventDefault();
    const button = event.submitter || (event.currentTarget instanceof HTMLButtonElement ? event.currentTarget : null);
    if (button) button.disabled = true;
    try { await api(command, body(event.currentTarget)); say(line, true, t('saved')); refresh(); }
    catch (error) { say(where || line, false, `${t('failed')}: ${error.message}`); }
    finally { if (button) button.disabled = false; }
  };
  // The technician's estate and department: the department's rounds nobody
  // was named for are theirs to take (all the estate's, if the staff file does not say).
  const estate = me.estate || picked();
  const staff = estate ? await api('list_staff', { estate }).catch(() => null) : null;
  const department = (((staff && staff.staff) || []).find((s) => s.staff_id === me.staff) || {}).department || null;
  async function myOrders() {
    const reply = await api('list_orders', { estate: me.estate || undefined, staff_id: me.staff, page: { page_size: 200 } });
    const open = (reply.orders || []).filter((o) => ['ORDER_STATUS_ASSIGNED', 'ORDER_STATUS_ACCEPTED',
      'ORDER_STATUS_STARTED', 'ORDER_STATUS_PAUSED'].includes(o.status) && o.staff_id === me.staff);
    // Due: the order's own time (a rectification), else its case's soonest running SLA target.
    await Promise.all(open.map(async (o) => {
      if (o.created.due_at_ms && o.created.due_at_ms !== '0') return;
      const sla = await api('show_sla', { ticket_no: o.created.ticket_no }).catch(() => null);
      const running = ((sla && sla.clocks) || []).filter((c) => !c.stopped && !(c.met_at_ms && c.met_at_ms !== '0'));
      if (running.length) o.created.due_at_ms = String(Math.min(...running.map((c) => Number(c.deadline_ms))));
    }));
    return open.sort((a, b) => Number(a.created.due_at_ms || 9e15) - Number(b.created.due_at_ms || 9e15));
  }
  async function myRounds() {
    if (!estate) return [];
    const [named, due] = await Promise.all([
      api('list_rounds', { estate, staff_id: me.staff, page: { page_size: 100 } }),
      api('list_rounds', { estate, status: 'ROUND_STATUS_DUE', page: { page_size: 100 } }),
    ]);
    return [...(named.rounds || []).filter((r) => r.staff_id === me.staff),
            ...(due.rounds || []).filter((r) => !r.staff_id && (!department || r.department === department))]
      .filter(roundOpen).sort((a, b) => Number(a.due_ms) - Number(b.due_ms));
  }
  const orderCard = (o) => {
    const c = o.created, no = o.order_no;
    const step = {
      ORDER_STATUS_ASSIGNED: h('button', { class: 'big', onclick: act('accept_order', () => ({ order_no: no })) }, t('accept')),
      ORDER_STATUS_ACCEPTED: h('button', { class: 'big', onclick: act('start_order', () => ({ order_no: no })) }, t('start')),
      ORDER_STATUS_PAUSED: h('form', { 'data-keep': no + '/resume',
                                       onsubmit: act('resume_order', (x) => ({ order_no: no, note: x.note.value || undefined })) },
        h('input', { name: 'note', placeholder: t('note') }), h('button', { class: 'big' }, t('resume'))),
      ORDER_STATUS_STARTED: h('div', {},
        h('form', { class: 'stack', 'data-keep': no + '/complete', onsubmit: act('complete_order', (x) => ({ order_no: no,
            note: x.note.value, labour_minutes: Number(x.labour.value) || undefined, paid_service: x.paid.checked || undefined,
            amount_fen: x.paid.checked ? toFen(x.amount.value) : undefined })) },
          h('textarea', { name: 'note', placeholder: t('note'), required: true, rows: 2 }),
          field(t('labour'), h('input', { name: 'labour', type: 'number', min: 1, max: 20160, inputmode: 'numeric' })),
          h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'paid' }), t('paid service')),
          field(t('amount'), h('input', { name: 'amount', inputmode: 'decimal' })),
          h('button', { class: 'big' }, t('complete'))),
        h('form', { class: 'stack', 'data-keep': no + '/pause',
                    onsubmit: act('pause_order', (x) => ({ order_no: no, reason: x.reason.value, note: x.note.value })) },
          h('select', { name: 'reason' }, options('PauseReason', 'WAITING_FOR_PARTS')),
          h('input', { name: 'note', placeholder: t('reason'), required: true }),
          h('button', { class: 'big secondary' }, t('pause')))),
    }[o.status];
    return h('article', { class: 'card', 'data-order': no },
      h('header', {}, h('strong', {}, c.unit), ' · ', label('Category', c.category), ' · ',
        h('span', { class: 'badge' }, label('OrderStatus', o.status))),
      h('p', {}, c.description || ''),
      h('p', { class: 'meta' }, no, c.due_at_ms && c.due_at_ms !== '0' ? [' · ', t('due'), ' ', when(c.due_at_ms, o.estate),
        ' · ', countdown(c.due_at_ms)] : null),
      step);
  };
  // An item of a checkpoint, as asked: yes or no, a reading, a photo's address; a note besides.
  const itemField = (item, n) => {
    const unit = item.unit ? ' ' + item.unit : '';
    const range = item.kind === 'CHECK_KIND_READING' && item.has_range
      ? ` (${milli(item.min_milli)}–${milli(item.max_milli)}${unit})` : unit ? ` (${unit.trim()})` : '';
    const answer = {
      CHECK_KIND_YES_NO: h('span', { class: 'choice' },
        h('label', { class: 'check' }, h('input', { type: 'radio', name: `ok-${n}`, value: 'yes', required: true }), t('yes')),
        h('label', { class: 'check' }, h('input', { type: 'radio', name: `ok-${n}`, value: 'no' }), t('no'))),
      CHECK_KIND_READING: h('input', { name: `reading-${n}`, inputmode: 'decimal', required: true, autocomplete: 'off',
                                       'aria-label': item.what }),
      CHECK_KIND_PHOTO: h('input', { name: `photo-${n}`, type: 'url', required: true, placeholder: 'https://',
                                     'aria-label': item.what }),
    }[item.kind];
    return h('fieldset', { 'data-item': n }, h('legend', {}, item.what, range), answer || null,
      h('input', { name: `note-${n}`, placeholder: t('note optional'), maxlength: 500 }));
  };
  // The result of an item, from its form: one per item, as record_checkpoint takes them.
  const result = (form, item, n) => {
    const e = form.elements, note = e[`note-${n}`].value.trim() || undefined;
    if (item.kind === 'CHECK_KIND_YES_NO') return { item: n, ok: e[`ok-${n}`].value === 'yes', note };
    if (item.kind === 'CHECK_KIND_PHOTO') return { item: n, photo_url: e[`photo-${n}`].value.trim(), note };
    const reading = toMilli(e[`reading-${n}`].value);
    if (reading === null) throw new ApiError(`${item.what}: ${t('not a reading')}`);
    return { item: n, reading_milli: reading, note };
  };
  const recorded = (item, r) => {
    const ok = Boolean(r && r.ok);
    const value = !r ? '' : item.kind === 'CHECK_KIND_READING' ? milli(r.reading_milli) + (item.unit ? ' ' + item.unit : '')
      : item.kind === 'CHECK_KIND_YES_NO' ? t(r.ok ? 'yes' : 'no') : '';
    return h('li', { 'data-ok': ok ? 'yes' : 'no' }, h('span', {}, item.what), value ? h('strong', {}, value) : null,
      r && r.photo_url ? h('a', { href: r.photo_url, target: '_blank', rel: 'noopener' }, t('photo')) : null,
      h('span', { class: ok ? 'badge ok' : 'badge late' }, t(ok ? 'ok' : 'not ok')),
      r && r.note ? h('span', { class: 'meta' }, r.note) : null);
  };
  const roundCard = (r) => {
    const id = r.round_id, status = h('p', { role: 'status' });
    const visitOf = (name) => (r.visits || []).find((v) => v.checkpoint === name);
    const points = r.checkpoints || [];
    const done = points.every((cp) => isSet((visitOf(cp.name) || {}).recorded_at_ms));
    const checkpoint = (cp) => {
      const visit = visitOf(cp.name), items = cp.items || [];
      const step = !visit
        ? h('button', { class: 'big secondary', onclick: act('check_in', () => ({ round_id: id, checkpoint: cp.name }), status) },
            t('check in'))
        : !isSet(visit.recorded_at_ms)
          ? h('form', { class: 'stack', 'data-keep': `${id}/${cp.name}`,
                        onsubmit: act('record_checkpoint', (x) => ({ round_id: id, checkpoint: cp.name,
                                                                     results: items.map((item, i) => result(x, item, i + 1)) }), status) },
              items.map((item, i) => itemField(item, i + 1)), h('button', { class: 'big' }, t('save')))
          : h('ul', { class: 'results' }, items.map((item, i) =>
              recorded(item, (visit.results || []).find((x) => Number(x.item) === i + 1))));
      return h('li', { class: 'checkpoint', 'data-checkpoint': cp.name },
        h('strong', {}, cp.name), cp.place ? [' · ', cp.place] : null,
        visit ? h('p', { class: 'meta' }, t('checked in'), ' ', when(visit.checked_in_at_ms, r.estate),
                  isSet(visit.recorded_at_ms) ? [' · ', t('findings n', { n: visit.findings || 0 })] : null) : null,
        step);
    };
    return h('article', { class: 'card', 'data-round': id },
      h('header', {}, h('strong', {}, r.name), ' · ',
        h('span', { class: r.missed ? 'badge late' : 'badge' }, label('RoundStatus', r.status)),
        r.staff_id ? null : [' · ', label('Department', r.department), ' · ', t('nobody named')]),
      h('p', { class: 'meta' }, id, ' · ', when(r.slot_ms, r.estate), ' · ', t('due'), ' ', when(r.due_ms, r.estate), ' · ',
        countdown(r.due_ms)),
      status,
      !isSet(r.started_at_ms)
        ? h('button', { class: 'big', onclick: act('start_round', () => ({ round_id: id }), status) }, t('start round'))
        : [h('ol', { class: 'checkpoints' }, points.map(checkpoint)),
           done ? h('form', { class: 'stack', 'data-keep': id + '/finish',
                              onsubmit: act('finish_round', (x) => ({ round_id: id, note: x.note.value.trim() || undefined }), status) },
                    h('textarea', { name: 'note', placeholder: t('note optional'), rows: 2, maxlength: 500 }),
                    h('button', { class: 'big' }, t('finish round'))) : null]);
  };
  // Only the newest load draws: an older one's answer may predate a step.
  let loads = 0;
  async function load() {
    const mine = ++loads;
    const [open, walk] = await Promise.all([myOrders(), myRounds().catch((error) => error)]);
    if (mine !== loads) return;
    const restore = keepTyped(root);
    fill(out, ...(open.length ? open.map(orderCard) : [h('p', {}, t('nothing assigned'))]));
    fill(rounds, ...(walk instanceof Error ? [h('p', { class: 'error' }, walk.message)]
                     : walk.length ? walk.map(roundCard) : [h('p', {}, t('no rounds'))]));
    restore();
  }
  const refresh = () => load().catch((error) => say(line, false, `${t('failed')}: ${error.message}`));
  await load();
  const reload = debounced(refresh);
  view.live = (kind, data) => {
    if (kind === 'resync' || kind.startsWith('round.') || JSON.stringify(data).includes(me.staff)) reload();
  };
}

// ---- operations and managers: the overview -----------------------------------------------

async function wallPage(root) {
  const grid = h('div', { class: 'grid' }), chart = h('div', {}), events = h('ol', { id: 'events' });
  root.append(h('h2', {}, t('kpis')), grid, h('h2', {}, t('report pareto')), chart, h('h2', {}, t('events')), events);
  async function tiles() {
    const to = now(), from = to - 30 * 86400000;
    const period = { from_ms: String(from), to_ms: String(to) };
    const tiles = await Promise.all(estates().map(async (e) => {
      const safe = (p) => p.catch(() => null);
      const month = Number(localDate(to, e.id).slice(0, 7).replace('-', ''));
      const [sla, satisfaction, collection, open] = await Promise.all([
        safe(api('report_sla', { estate: e.id, period })),
        safe(api('report_satisfaction', { estate: e.id, period, group_by: 'estate' })),
        safe(api('report_collection', { estate: e.id, period_from: month, period_to: month })),
        safe(api('list_tickets', { estate: e.id, status: 'OPEN', page: { page_size: 1 } })),
      ]);
      const first = (r, k) => (r && r.rows && r.rows[0] ? permille(r.rows[0][k]) : '-');
      return h('div', { class: 'tile', 'data-estate': e.id }, h('h3', {}, e.name),
        h('dl', {}, [[t('on-time'), first(sla, 'on_time_permille')], [t('satisfaction'), first(satisfaction, 'satisfied_permille')],
                     [t('collection'), first(collection, 'rate_permille')], [t('open cases'), open ? Number(open.total || 0) : '-']]
          .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
    }));
    fill(grid, ...tiles);
    const pareto = await api('report_pareto', {}).catch(() => ({ rows: [] }));
    fill(chart, bars((pareto.rows || []).map((r) => ({ name: label('Category', r.category), value: r.count,
                                                                 line: r.cumulative_permille, mark: r.vital_few })), true));
  }
  await tiles();
  const reload = debounced(tiles);
  view.live = (kind, data) => {
    if (kind === 'resync') { events.prepend(h('li', {}, t('missed events'))); reload(); return; }
    const body = Object.values(data).find((v) => v && typeof v === 'object') || {};
    const what = body.ticket_no || body.order_no || body.visit_id || body.invoice_no || '';
    events.prepend(h('li', {}, h('time', {}, when(data.occurred_at_ms, data.estate)), h('span', { class: 'kind' }, kindLabel(kind)),
      h('span', {}, estateName(data.estate)), h('span', {}, what)));
    while (events.children.length > 200) events.lastChild.remove();
    if (/^(ticket\.filed|sla\.|payment\.)/.test(kind)) reload();
  };
}

const PAGES = { tickets: ticketsPage, file: filePage, counter: counterPage, registers: registersPage,
                permits: permitsPage, violations: violationsPage, duty: dutyPage, renovations: renovationsPage,
                board: boardPage, orders: ordersPage, messages: messagesPage,
                visits: visitsPage, evaluation: evaluationPage, reports: reportsPage, mine: minePage, wall: wallPage };

// ---- starting ------------------------------------------------------------------------------

function start(who) {
  me = who;
  clockSkew = who.now_ms ? Number(who.now_ms) - Date.now() : 0;
  estateFilter = localStorage.getItem('kefu.estate') || '';
  if (estateFilter && !estateOf(estateFilter)) estateFilter = '';
  $('#signin').hidden = true;
  $('#app').hidden = false;
  frame();
  live();
  view();
}

function signinTexts() {
  $('#signin h2').textContent = t('sign in');
  $('#user-label').textContent = t('user');
  $('#password-label').textContent = t('password');
  $('#token-label').textContent = t('machine token');
  $('#signin-submit').textContent = t('sign in');
  $('#signin-mode').textContent = $('#signin-token').hidden ? t('use token') : t('use password');
  $('#signin-lang').textContent = t('language');
}

$('#signin-form').addEventListener('submit', signIn);
$('#signin-mode').addEventListener('click', () => {
  const token = $('#signin-token').hidden;
  $('#signin-token').hidden = !token;
  $('#signin-person').hidden = token;
  $('#user').required = !token;
  $('#password').required = !token;
  $('#token').required = token;
  signinTexts();
});
for (const button of ['#lang', '#signin-lang'])
  $(button).addEventListener('click', () => {
    setLanguage(kefuLang === 0);
    signinTexts();
    if (me) { frame(); view(); }
  });
$('#signout').addEventListener('click', signOut);
$('#estate-pick').addEventListener('change', (event) => {
  estateFilter = event.target.value;
  localStorage.setItem('kefu.estate', estateFilter);
  view();
});
window.addEventListener('hashchange', view);
setLanguage(kefuLang === 1);
signinTexts();
// An owner's session belongs on the owners' page.
whoami().then((who) => {
  if (who && who.role === 'ROLE_OWNER') location.replace('/owner');
  else if (who) start(who);
});
