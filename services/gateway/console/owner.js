// kefu's owners' page (/owner): an owner or tenant signs in with a code sent
// to the phone the register gives them, then files a repair or complaint
// (with photos' URLs), follows their cases and their timelines, answers
// their return visits and their quarterly evaluation, and reads their
// statement and fee notices. The session is bound to their unit: the
// gateway and the daemons show nothing of anyone else's. Plain browser
// JavaScript on a phone, no build step; texts from i18n.js, tools from kit.js.
'use strict';

let me = null;           // the session's view: role owner, estate, unit
let clockSkew = 0;       // the cluster's clock minus the browser's
const now = () => Date.now() + clockSkew;

class ApiError extends Error {}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body || {}), credentials: 'same-origin',
  });
  const json = await response.json().catch(() => ({}));
  if (response.status === 401 && me) signedOut();
  if (!response.ok) throw new ApiError(json.error || response.statusText);
  return json;
}
const api = (command, body) => post('/api/v1/' + command, body);

// A time in the estate's own time zone: "2026-11-23 10:05".
function when(ms) {
  if (!ms || ms === '0') return '-';
  const offset = ((me && me.estate_views && me.estate_views[0]) || {}).utc_offset_min || 0;
  return new Date(Number(ms) + offset * 60000).toISOString().slice(0, 16).replace('T', ' ');
}

const field = (key, input) => h('label', {}, key ? h('span', {}, t(key)) : null, input);
const options = (kind, names) => names.map((v) => h('option', { value: v }, label(kind, v)));
const failed = (where, error) => fill(where, h('p', { class: 'error', role: 'alert' }, error.message));

// ---- signing in ------------------------------------------------------------------------

function texts() {
  document.title = 'kefu · ' + t('owner page');
  for (const span of document.querySelectorAll('[data-t]')) span.textContent = t(span.dataset.t);
  $('#owner-title').textContent = t('owner sign in');
  $('#send-code').textContent = t('send code');
  $('#owner-submit').textContent = t('sign in');
  for (const id of ['#owner-lang', '#owner-lang2']) $(id).textContent = t('language');
  $('#owner-signout').textContent = t('sign out');
}

function who(form) {
  return { estate: form.estate.value.trim().toUpperCase(), unit: form.unit.value.trim(), phone: form.phone.value.trim() };
}

let resendTimer = null;
async function sendCode() {
  const form = $('#owner-signin');
  $('#owner-error').textContent = '';
  if (!form.estate.reportValidity() || !form.unit.reportValidity() || !form.phone.reportValidity()) return;
  const button = $('#send-code');
  button.disabled = true;
  try {
    const sent = await post('/api/v1/owner_code', who(form));
    $('#code-said').textContent = t('code sent', { m: Math.round(Number(sent.expires_in_s) / 60) });
    let wait = Number(sent.next_in_s) || 60;
    clearInterval(resendTimer);
    resendTimer = setInterval(() => {
      if (--wait <= 0) {
        clearInterval(resendTimer);
        button.disabled = false;
        button.textContent = t('send code');
      } else button.textContent = t('resend in', { s: wait });
    }, 1000);
    form.code.focus();
  } catch (error) {
    button.disabled = false;
    $('#owner-error').textContent = error.message;
  }
}

async function signIn(event) {
  event.preventDefault();
  const form = event.target;
  $('#owner-error').textContent = '';
  try {
    start(await post('/api/v1/owner_session', { ...who(form), code: form.code.value.trim() }));
    form.code.value = '';
  } catch (error) {
    $('#owner-error').textContent = error.message;
  }
}

function signedOut() {
  me = null;
  $('#owner-app').hidden = true;
  $('#signin').hidden = false;
}

async function signOut() {
  await fetch('/api/v1/session', { method: 'DELETE', credentials: 'same-origin' }).catch(() => {});
  signedOut();
}

// ---- the pages -------------------------------------------------------------------------

const TABS = [['cases', 'owner tab cases'], ['new', 'owner tab new'], ['visits', 'owner tab visits'],
              ['bills', 'owner tab bills']];

function start(view) {
  me = view;
  clockSkew = Number(view.now_ms || Date.now()) - Date.now();
  $('#signin').hidden = true;
  $('#owner-app').hidden = false;
  $('#owner-brand').textContent = t('owner page');
  $('#owner-who').textContent = `${(view.estate_views && view.estate_views[0] || {}).name || view.estate} · ${view.unit}`;
  if (!location.hash) location.hash = '#/cases';
  route();
}

function route() {
  if (!me) return;
  const [tab, arg] = location.hash.replace(/^#\//, '').split('/');
  fill($('#tabs'), TABS.map(([name, key]) =>
    h('a', { href: '#/' + name, 'data-tab': name, class: name === tab ? 'on' : null }, t(key))));
  const view = $('#view');
  const page = { cases: arg ? () => casePage(view, decodeURIComponent(arg)) : () => casesPage(view),
                 new: () => newPage(view), visits: () => visitsPage(view), bills: () => billsPage(view) }[tab];
  (page || (() => casesPage(view)))();
}

async function casesPage(view) {
  fill(view, h('h2', {}, t('owner tab cases')));
  try {
    const list = await api('list_tickets', { page: { page_size: 50 } });
    const tickets = list.tickets || [];
    view.append(tickets.length ? h('ul', { id: 'case-list', class: 'cards' }, tickets.map((ticket) =>
      h('li', {}, h('a', { href: '#/cases/' + encodeURIComponent(ticket.ticket_no) },
        h('strong', {}, label('TicketType', ticket.filed.type), ' · ', label('Category', ticket.filed.category)), ' ',
        h('span', { class: 'badge' }, label('TicketStatus', ticket.status)),
        h('div', { class: 'small' }, ticket.ticket_no, ' · ', when(ticket.filed_at_ms)))))) :
      h('p', { id: 'case-list' }, t('no cases')));
  } catch (error) { failed(view, error); }
}

async function casePage(view, ticketNo) {
  fill(view, h('h2', {}, ticketNo));
  try {
    const ticket = await api('show_ticket', { ticket_no: ticketNo });
    const f = ticket.filed;
    view.append(
      h('p', {}, h('strong', {}, label('TicketType', f.type), ' · ', label('Category', f.category)), ' ',
        h('span', { class: 'badge', id: 'case-status' }, label('TicketStatus', ticket.status))),
      h('p', {}, f.description),
      (f.photo_urls || []).length ? h('p', {}, (f.photo_urls || []).map((url, i) =>
        h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, `${t('photo')} ${i + 1} `))) : null,
      ticket.resolution ? h('p', { class: 'ok' }, ticket.resolution) : null,
      h('ol', { id: 'timeline', class: 'timeline' }, (ticket.timeline || []).map((entry) =>
        h('li', {}, h('span', { class: 'small' }, when(entry.at_ms)), ' ', kindLabel(entry.kind)))));
  } catch (error) { failed(view, error); }
}

function newPage(view) {
  const key = uuid();   // one filing however often the button is pressed
  const types = ['REPAIR', 'COMPLAINT', 'ENQUIRY', 'SUGGESTION', 'EMERGENCY_HELP'];
  const said = h('p', { id: 'case-said', role: 'status' });
  const form = h('form', { id: 'case-form', class: 'stack' },
    field('type', h('select', { name: 'type' }, options('TicketType', types))),
    field('category', h('select', { name: 'category' }, options('Category', values('Category')))),
    field('what happened', h('textarea', { name: 'description', required: true, maxlength: 2000 })),
    field('photos', h('textarea', { name: 'photos', rows: 2, placeholder: 'https://' })),
    h('button', { type: 'submit', class: 'big' }, t('report it')), said);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector('button');
    button.disabled = true;
    try {
      const ticket = await api('file_ticket', {
        type: form.type.value, category: form.category.value, description: form.description.value.trim(),
        photo_urls: form.photos.value.split(/\s+/).filter(Boolean), idempotency_key: key,
      });
      fill(said, h('span', { class: 'ok' }, t('case filed', { no: ticket.ticket_no })));
      setTimeout(() => { location.hash = '#/cases/' + encodeURIComponent(ticket.ticket_no); }, 800);
    } catch (error) {
      button.disabled = false;
      fill(said, h('span', { class: 'error' }, error.message));
    }
  });
  fill(view, h('h2', {}, t('owner tab new')), form);
}

// A return visit the owner answers: satisfied or not, a score, their words.
function visitForm(visit) {
  const said = h('p', { role: 'status' });
  const form = h('form', { class: 'stack visit', 'data-visit': visit.scheduled.visit_id },
    h('h3', {}, t('visit of', { no: visit.scheduled.ticket_no })),
    field('satisfaction', h('select', { name: 'satisfaction' }, options('Satisfaction', values('Satisfaction')))),
    field('score', h('select', { name: 'score' }, [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, '★'.repeat(n))))),
    field('comment', h('textarea', { name: 'comment', rows: 2, maxlength: 2000 })),
    h('button', { type: 'submit' }, t('owner answer')), said);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('answer_visit', { visit_id: visit.scheduled.visit_id, reached: true,
                                  satisfaction: form.satisfaction.value, score: Number(form.score.value),
                                  comment: form.comment.value.trim() || undefined });
      fill(form, h('p', { class: 'ok' }, t('thanks')));
    } catch (error) { fill(said, h('span', { class: 'error' }, error.message)); }
  });
  return form;
}

// This quarter's evaluation, when the owner's household was drawn for it
// and has not answered: a score for each of the five service areas.
// The quarter's collection may run into the next quarter, so this
// quarter's and the last are asked after; the one open now is answered.
async function evaluationForm() {
  const offset = (((me.estate_views && me.estate_views[0]) || {}).utc_offset_min || 0) * 60000;
  const day = new Date(now() + offset);
  const quarter = day.getUTCFullYear() * 4 + Math.floor(day.getUTCMonth() / 3);
  let id = null;
  for (const q of [quarter, quarter - 1]) {
    const candidate = `${me.estate}-${Math.floor(q / 4)}Q${(q % 4) + 1}`;
    const status = await api('evaluation_status', { evaluation_id: candidate }).catch(() => null);
    const s = status && status.sample;
    if (s && !status.closed && (status.not_answered || []).includes(me.unit)
        && Number(s.hand_out_at_ms) <= now() && now() < Number(s.closes_at_ms)) { id = candidate; break; }
  }
  if (!id) return null;
  const areas = values('Department');
  const said = h('p', { role: 'status' });
  const form = h('form', { id: 'evaluation', class: 'stack' }, h('h3', {}, t('evaluation of', { id })),
    areas.map((area) => field(null, h('select', { name: area },
      [5, 4, 3, 2, 1].map((n) => h('option', { value: n }, `${label('Department', area)} ${'★'.repeat(n)}`))))),
    field('comment', h('textarea', { name: 'comment', rows: 2, maxlength: 2000 })),
    h('button', { type: 'submit' }, t('owner answer')), said);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await api('answer_evaluation', { evaluation_id: id, answers: areas.map((area) =>
        ({ area, score: Number(form[area].value) })), comment: form.comment.value.trim() || undefined });
      fill(form, h('p', { class: 'ok' }, t('thanks')));
    } catch (error) { fill(said, h('span', { class: 'error' }, error.message)); }
  });
  return form;
}

async function visitsPage(view) {
  fill(view, h('h2', {}, t('owner tab visits')));
  try {
    const list = await api('list_visits', { pending_only: true });
    const evaluation = await evaluationForm();
    const visits = list.visits || [];
    view.append(h('div', { id: 'visit-list' }, visits.length || evaluation ? visits.map(visitForm) : t('no visits')));
    if (evaluation) view.append(evaluation);
  } catch (error) { failed(view, error); }
}

async function billsPage(view) {
  fill(view, h('h2', {}, t('owner tab bills')));
  try {
    const statement = await api('statement', {});
    const balance = BigInt(statement.balance_fen || 0);
    view.append(
      h('p', { id: 'balance' }, t(balance < 0n ? 'credit now' : 'owed now'), ': ',
        h('strong', { class: balance > 0n ? 'late' : 'ok' }, yuan(balance < 0n ? -balance : balance))),
      h('h3', {}, t('owner notices')),
      h('table', { id: 'notices' }, h('tr', {}, ['period', 'owner total', 'paid', 'late fee', 'due'].map((k) => h('th', {}, t(k)))),
        (statement.notices || []).slice().reverse().map((n) => h('tr', {},
          h('td', {}, String(n.issued.period)), h('td', {}, yuan(n.issued.total_fen)), h('td', {}, yuan(n.paid_fen)),
          h('td', {}, yuan(n.late_fee_fen)),
          h('td', {}, Number(n.settled_at_ms) ? t('settled') : when(n.issued.due_at_ms),
            (n.reminders || []).length ? h('div', { class: 'small late' }, t('reminded', { n: n.reminders.length })) : null)))),
      h('h3', {}, t('lines')),
      h('table', { id: 'lines' }, h('tr', {}, ['when', 'what', 'owner debit', 'owner credit'].map((k) => h('th', {}, t(k)))),
        (statement.lines || []).slice(-24).reverse().map((line) => h('tr', {},
          h('td', {}, when(line.at_ms)), h('td', {}, line.what),
          h('td', {}, Number(line.debit_fen) ? yuan(line.debit_fen) : ''),
          h('td', {}, Number(line.credit_fen) ? yuan(line.credit_fen) : '')))));
  } catch (error) { failed(view, error); }
}

// ---- start -------------------------------------------------------------------------------

setLanguage(localStorage.getItem('kefu.lang') === 'en');
texts();
for (const id of ['#owner-lang', '#owner-lang2'])
  $(id).addEventListener('click', () => { setLanguage(kefuLang === 0); texts(); if (me) start(me); });
$('#send-code').addEventListener('click', sendCode);
$('#owner-signin').addEventListener('submit', signIn);
$('#owner-signout').addEventListener('click', signOut);
window.addEventListener('hashchange', route);
{
  const estate = new URLSearchParams(location.search).get('estate');
  if (estate) $('#owner-signin').estate.value = estate;
}
fetch('/api/v1/whoami', { credentials: 'same-origin' })
  .then((r) => (r.ok ? r.json() : null))
  .then((view) => { if (view && view.role === 'ROLE_OWNER') start(view); })
  .catch(() => {});
