/*  billing — fees, notices, arrears, payments over a store transaction.
    See billing.h.

    Tables (keys):
      units          estate|unit                   Unit
      schedules      estate|effective (yyyymmdd)   FeeSchedule
      invoices       estate|period|unit            Invoice
      unit_invoices  estate|unit|period            ""      a unit's notices, oldest first
      open           estate|due|estate|period|unit ""      notices not paid in full, by due time
      payments       estate|payment_ref            PaymentRecord
      refunds        estate|refund_ref             PaymentRefunded
      charges        estate|order_no               ChargeRecord
      pending        estate|unit|order_no          ""      charges not yet on a notice
      runs           estate|period                 BillingRunState
      ledger         estate|unit|time|seq          StatementLine
      arrears        estate                        ArrearsDay
      counters       name                          big-endian count
*/
#include "billing.h"
#include "kf_commands.h"
#include "kf_domain.h"
#include "kf_field.h"
#include "kf_money.h"
#include "kf_page.h"
#include "kf_rate.h"
#include "kf_time.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S_SET(msg, field, value) ((msg)->field = (value), (msg)->has_##field = 1)
#define S_REF_MAX        64        //  bytes of a payment or refund reference
#define S_UNIT_MAX       32
#define S_INVOICE_NO_MAX (KF_ID_MAX + 48)
#define S_REJECTS_LISTED 1000
#define S_STEPS_MAX      16

#define S_BAD(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_BAD_REQUEST, arena, __VA_ARGS__)
#define S_NOT_FOUND(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_NOT_FOUND, arena, __VA_ARGS__)
#define S_CONFLICT(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_CONFLICT, arena, __VA_ARGS__)
#define S_FORBIDDEN(...) kf_reply_error (reply, KF__REPLY_STATUS__REPLY_STATUS_FORBIDDEN, arena, __VA_ARGS__)

typedef struct {
    const kf_estate_t *estate;
    int due_day;
    int steps [S_STEPS_MAX];      //  reminder cadence, rising
    int step_count;
    int late_fee_per_day;         //  ten-thousandths; 0: none
    int late_fee_grace_days;
    int late_fee_cap_percent;
} s_estate_t;

struct _billing_t {
    kf_config_t *config;
    kf_outbox_t *outbox;
    s_estate_t *estates;
    size_t estate_count;
    kf_arena_t *scratch;
    kf_table_t units, schedules, invoices, unit_invoices, open, payments, refunds, charges, pending, runs, ledger,
               arrears, counters;
    bool tables_known;
};

//  ---- the arithmetic ---------------------------------------------------------------

int
billing_month_days (uint32_t yyyymm)
{
    int year = (int) (yyyymm / 100), month = (int) (yyyymm % 100);
    int64_t first = kf_days_from_civil (year, month, 1);
    int64_t next = month == 12 ? kf_days_from_civil (year + 1, 1, 1) : kf_days_from_civil (year, month + 1, 1);
    return (int) (next - first);
}

int
billing_days_billed (uint32_t yyyymm, uint32_t move_in)
{
    int days = billing_month_days (yyyymm);
    uint32_t first = yyyymm * 100 + 1, last = yyyymm * 100 + (uint32_t) days;
    if (move_in <= first)
        return days;
    if (move_in > last)
        return 0;
    return days - (int) (move_in - first);
}

int64_t
billing_management_fee (int64_t area_centi_m2, int64_t fen_per_m2, int days, int month_days)
{
    return kf_muldiv_round (area_centi_m2 * days, fen_per_m2, 100 * (int64_t) month_days);
}

int64_t
billing_late_fee_accrue (int64_t principal, int64_t unpaid, int64_t exact, int per_day, int days, int cap_percent)
{
    if (per_day <= 0 || days <= 0 || unpaid <= 0)
        return exact;
    int64_t cap = principal * cap_percent * (BILLING_EXACT_PER_FEN / 100);
    int64_t total = exact + unpaid * per_day * days;
    return total > cap ? (exact > cap ? exact : cap) : total;
}

int64_t
billing_late_fee_charged (int64_t principal, int64_t exact, int cap_percent)
{
    int64_t fee = kf_muldiv_round (exact, 1, BILLING_EXACT_PER_FEN);
    int64_t cap = principal * cap_percent / 100;
    return fee < cap ? fee : cap;
}

//  ---- set-up -------------------------------------------------------------------------

static void
s_parse_steps (s_estate_t *e, const char *value)
{
    e->step_count = 0;
    for (const char *p = value; *p && strcmp (value, "none") != 0 && e->step_count < S_STEPS_MAX; ) {
        char *end;
        long days = strtol (p, &end, 10);
        if (end == p)
            break;
        e->steps [e->step_count++] = (int) days;
        p = end + strspn (end, " ,");
    }
}

//  An estate's own value of a rule, else the group's (in billing_new).
#define S_RULE(key) kf_config_rule (config, id, "billing/" key, path, sizeof path)

billing_t *
billing_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    billing_t *self = calloc (1, sizeof *self);
    size_t estates = kf_config_estate_count (config);
    if (self) {
        self->estates = calloc (estates, sizeof *self->estates);
        self->scratch = kf_arena_new ();
    }
    if (!self || !self->estates || !self->scratch) {
        kf_err_set (err, "out of memory");
        billing_destroy (&self);
        return NULL;
    }
    self->config = config;
    self->estate_count = estates;
    for (size_t i = 0; i < estates; i++) {
        s_estate_t *e = &self->estates [i];
        char path [128];
        e->estate = kf_config_estate (config, i);
        const char *id = e->estate->id;
        e->due_day = (int) kf_config_int (config, S_RULE ("due_day"));
        s_parse_steps (e, kf_config_str (config, S_RULE ("reminders")));
        e->late_fee_per_day = (int) kf_config_int (config, S_RULE ("late_fee_per_day"));
        e->late_fee_grace_days = (int) kf_config_int (config, S_RULE ("late_fee_grace_days"));
        e->late_fee_cap_percent = (int) kf_config_int (config, S_RULE ("late_fee_cap_percent"));
    }
    return self;
}

void
billing_destroy (billing_t **self_p)
{
    assert (self_p);
    billing_t *self = *self_p;
    if (self) {
        kf_arena_destroy (&self->scratch);
        free (self->estates);
        free (self);
        *self_p = NULL;
    }
}

void
billing_set_outbox (billing_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->outbox = outbox;
}

static const s_estate_t *
s_estate (const billing_t *self, const char *id)
{
    for (size_t i = 0; id && i < self->estate_count; i++)
        if (strcmp (self->estates [i].estate->id, id) == 0)
            return &self->estates [i];
    return NULL;
}

static void
s_tables (billing_t *self, kf_txn_t *txn)
{
    if (self->tables_known)
        return;
    kf_store_t *store = kf_txn_store (txn);
    const char *names [] = { "units", "schedules", "invoices", "unit_invoices", "open", "payments", "refunds",
                             "charges", "pending", "runs", "ledger", "arrears", "counters" };
    kf_table_t *tables [] = { &self->units, &self->schedules, &self->invoices, &self->unit_invoices, &self->open,
                              &self->payments, &self->refunds, &self->charges, &self->pending, &self->runs,
                              &self->ledger, &self->arrears, &self->counters };
    for (size_t i = 0; i < sizeof names / sizeof names [0]; i++)
        *tables [i] = kf_store_table (store, names [i]);
    self->tables_known = true;
}

//  ---- records -------------------------------------------------------------------------

static Kf__Unit *
s_unit_get (billing_t *self, kf_txn_t *txn, const char *estate, const char *unit, kf_arena_t *arena)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, unit);
    return (Kf__Unit *) kf_txn_find_msg_in (txn, self->units, &key, &kf__unit__descriptor, arena);
}

static void
s_unit_put (billing_t *self, kf_txn_t *txn, const Kf__Unit *unit)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", unit->estate, unit->unit);
    kf_txn_put_msg (txn, self->units, &key, &unit->base);
}

static void
s_invoice_key (kf_key_t *key, const char *estate, uint32_t period, const char *unit)
{
    kf_key_make (key, "s|u|s", estate, period, unit);
}

static Kf__Invoice *
s_invoice_get (billing_t *self, kf_txn_t *txn, const char *estate, uint32_t period, const char *unit,
               kf_arena_t *arena)
{
    kf_key_t key;
    s_invoice_key (&key, estate, period, unit);
    return (Kf__Invoice *) kf_txn_find_msg_in (txn, self->invoices, &key, &kf__invoice__descriptor, arena);
}

//  A notice's number, <estate>-<yyyymm>-<unit>, back into its parts. From
//  the right, since estate ids may hold dashes: the unit's three parts,
//  six digits, the estate.
static bool
s_invoice_no_parse (const char *invoice_no, char *estate, uint32_t *period, char *unit)
{
    const char *p = invoice_no + strlen (invoice_no);
    int dashes = 0;
    while (p > invoice_no && dashes < 4)
        if (*--p == '-')
            dashes++;
    if (dashes != 4 || p == invoice_no || p - invoice_no > KF_ID_MAX || strlen (p + 1) < 8 || p [7] != '-'
    ||  strlen (p + 8) > S_UNIT_MAX)
        return false;
    *period = 0;
    for (int i = 1; i <= 6; i++) {
        if (!isdigit ((unsigned char) p [i]))
            return false;
        *period = *period * 10 + (uint32_t) (p [i] - '0');
    }
    snprintf (estate, KF_ID_MAX + 1, "%.*s", (int) (p - invoice_no), invoice_no);
    snprintf (unit, S_UNIT_MAX + 1, "%s", p + 8);
    return *period % 100 >= 1 && *period % 100 <= 12;
}

static void
s_invoice_put (billing_t *self, kf_txn_t *txn, const Kf__Invoice *invoice)
{
    const Kf__InvoiceIssued *i = invoice->issued;
    kf_key_t key, open;
    s_invoice_key (&key, invoice->estate, i->period, i->unit);
    kf_txn_put_msg (txn, self->invoices, &key, &invoice->base);
    kf_key_make (&open, "s|t|s|u|s", invoice->estate, i->due_at_ms, invoice->estate, i->period, i->unit);
    if (invoice->settled_at_ms)
        kf_txn_del (txn, self->open, &open);
    else
        kf_txn_put (txn, self->open, &open, "", 0);
}

static int64_t
s_outstanding (const Kf__Invoice *invoice)
{
    return invoice->issued->total_fen + invoice->late_fee_fen - invoice->paid_fen;
}

//  A line of the unit's statement: the unit's balance moves by debit -
//  credit (the caller puts the unit back).
static void
s_ledger (billing_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Unit *unit, const char *what, int64_t debit,
          int64_t credit)
{
    S_SET (unit, balance_fen, unit->balance_fen + debit - credit);
    Kf__StatementLine line = KF__STATEMENT_LINE__INIT;
    S_SET (&line, at_ms, now_ms);
    line.what = (char *) what;
    S_SET (&line, debit_fen, debit);
    S_SET (&line, credit_fen, credit);
    S_SET (&line, balance_fen, unit->balance_fen);
    kf_key_t seq_key, key;
    kf_key_make (&seq_key, "s", "ledger");
    uint64_t seq = kf_txn_next (txn, self->counters, &seq_key);
    kf_key_make (&key, "s|s|t|q", unit->estate, unit->unit, now_ms, seq);
    kf_txn_put_msg (txn, self->ledger, &key, &line.base);
}

static void
s_settle_if_paid (billing_t *self, kf_txn_t *txn, int64_t now_ms, Kf__Invoice *invoice, const char *causation)
{
    if (invoice->settled_at_ms || s_outstanding (invoice) > 0)
        return;
    S_SET (invoice, settled_at_ms, now_ms);
    Kf__InvoiceSettled settled = KF__INVOICE_SETTLED__INIT;
    settled.invoice_no = invoice->issued->invoice_no;
    settled.unit = invoice->issued->unit;
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_INVOICE_SETTLED;
    event.invoice_settled = &settled;
    kf_emit (self->outbox, txn, now_ms, invoice->estate, &event, causation);
}

//  The estate a request names, or its scope's; NULL after a NOT_FOUND or
//  BAD_REQUEST reply.
//  The estate a request is for, as this service keeps it (kf_request_estate).
static const s_estate_t *
s_request_estate (billing_t *self, const Kf__Request *request, const char *named, Kf__Reply *reply, kf_arena_t *arena)
{
    const kf_estate_t *estate = kf_request_estate (self->config, request, named, reply, arena);
    return estate ? s_estate (self, estate->id) : NULL;
}

//  ---- units: the CSV import ---------------------------------------------------------------

static const char *s_columns [] = {
    "unit", "area_m2", "owner_name", "owner_phone", "occupied", "move_in_date", "building_type", "parking_spaces"
};
enum { C_UNIT, C_AREA, C_NAME, C_PHONE, C_OCCUPIED, C_MOVE_IN, C_TYPE, C_PARKING, C_COUNT };

//  The fields of one CSV record on one line, RFC 4180 quoting, in place.
//  Returns how many, or -1 when a quote is left open or there are too many.
static int
s_csv_fields (char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    while (true) {
        if (n == max)
            return -1;
        char *out = p;
        fields [n++] = out;
        if (*p == '"') {
            p++;
            while (true) {
                if (*p == 0)
                    return -1;
                if (*p == '"' && p [1] == '"')
                    p++;
                else
                if (*p == '"') {
                    p++;
                    break;
                }
                *out++ = *p++;
            }
            if (*p != ',' && *p != 0)
                return -1;
        }
        else
            while (*p && *p != ',')
                *out++ = *p++;
        bool more = *p == ',';
        if (*p)
            p++;
        *out = 0;
        //  Spaces around an unquoted field are not part of it.
        char *f = fields [n - 1];
        while (*f == ' ')
            f++;
        size_t len = strlen (f);
        while (len && f [len - 1] == ' ')
            f [--len] = 0;
        fields [n - 1] = f;
        if (!more)
            return n;
    }
}

typedef struct {
    int column [C_COUNT];      //  field index of each column, -1 when absent
    Kf__ImportReport *report;
    uint32_t rejected;
    kf_arena_t *arena;
} s_import_t;

static void
s_reject (s_import_t *im, int line, const char *format, ...)
{
    im->rejected++;
    if (im->report->n_rejected >= S_REJECTS_LISTED)
        return;
    char text [300];
    int used = snprintf (text, sizeof text, "line %d: ", line);
    va_list args;
    va_start (args, format);
    vsnprintf (text + used, sizeof text - (size_t) used, format, args);
    va_end (args);
    im->report->rejected [im->report->n_rejected++] = kf_arena_strdup (im->arena, text);
}

static int
s_header (s_import_t *im, char *line)
{
    char *fields [C_COUNT + 1];
    int n = s_csv_fields (line, fields, C_COUNT + 1);
    for (int c = 0; c < C_COUNT; c++)
        im->column [c] = -1;
    if (n < 0) {
        s_reject (im, 1, "the header names more than the %d known columns, or a quote is open", C_COUNT);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        int c = 0;
        while (c < C_COUNT && strcmp (fields [i], s_columns [c]) != 0)
            c++;
        if (c == C_COUNT || im->column [c] >= 0) {
            s_reject (im, 1, c == C_COUNT ? "unknown column '%s' (unit, area_m2, owner_name, owner_phone, occupied, "
                                            "move_in_date, building_type, parking_spaces)"
                                          : "column '%s' is named twice", fields [i]);
            return -1;
        }
        im->column [c] = i;
    }
    if (im->column [C_UNIT] < 0 || im->column [C_AREA] < 0) {
        s_reject (im, 1, "the header must name unit and area_m2");
        return -1;
    }
    return 0;
}

//  One data line into a unit, or a rejection with the first reason.
static Kf__Unit *
s_unit_line (s_import_t *im, const char *estate, char *line, int number)
{
    char *fields [C_COUNT + 1];
    int n = s_csv_fields (line, fields, C_COUNT + 1);
    int want = 0;
    for (int c = 0; c < C_COUNT; c++)
        want += im->column [c] >= 0;
    if (n != want) {
        s_reject (im, number, n < 0 ? "a quote is left open" : "%d fields, the header has %d", n, want);
        return NULL;
    }
    const char *v [C_COUNT];
    for (int c = 0; c < C_COUNT; c++)
        v [c] = im->column [c] >= 0 ? fields [im->column [c]] : "";
    Kf__Unit *u = (Kf__Unit *) kf_arena_message (im->arena, &kf__unit__descriptor);
    if (!u)
        return NULL;
    kf_err_t err;
    int64_t area;
    if (!kf_unit_valid (v [C_UNIT])) {
        s_reject (im, number, "'%s' is not a unit (building-unit-room, e.g. 3-2-1502)", v [C_UNIT]);
        return NULL;
    }
    if (kf_fen_parse (v [C_AREA], &area, &err) || area <= 0 || area > 10000000) {
        s_reject (im, number, "area_m2 '%s' is not an area from 0.01 to 100000 m² with at most two decimals",
                  v [C_AREA]);
        return NULL;
    }
    if (*v [C_NAME] && kf_text_check ("owner_name", v [C_NAME], 100, &err)) {
        s_reject (im, number, "%s", err.text);
        return NULL;
    }
    if (*v [C_PHONE] && !kf_phone_valid (v [C_PHONE])) {
        s_reject (im, number, "owner_phone '%s' is not 5 to 20 digits with an optional leading +", v [C_PHONE]);
        return NULL;
    }
    const char *occupied = v [C_OCCUPIED];
    bool yes = !*occupied || !strcmp (occupied, "yes") || !strcmp (occupied, "true") || !strcmp (occupied, "1")
            || !strcmp (occupied, "occupied");
    bool no = !strcmp (occupied, "no") || !strcmp (occupied, "false") || !strcmp (occupied, "0")
           || !strcmp (occupied, "vacant");
    if (!yes && !no) {
        s_reject (im, number, "occupied '%s' is not yes or no", occupied);
        return NULL;
    }
    int64_t day = 0;
    if (*v [C_MOVE_IN] && kf_date_parse (v [C_MOVE_IN], &day, &err)) {
        s_reject (im, number, "move_in_date: %s", err.text);
        return NULL;
    }
    if (*v [C_TYPE] && !kf_config_valid_id (v [C_TYPE])) {
        s_reject (im, number, "building_type '%s' is not an identifier", v [C_TYPE]);
        return NULL;
    }
    char *end;
    long spaces = *v [C_PARKING] ? strtol (v [C_PARKING], &end, 10) : 0;
    if (*v [C_PARKING] && (*end || spaces < 0 || spaces > 50)) {
        s_reject (im, number, "parking_spaces '%s' is not a count from 0 to 50", v [C_PARKING]);
        return NULL;
    }
    u->unit = kf_arena_strdup (im->arena, v [C_UNIT]);
    u->estate = (char *) estate;
    S_SET (u, area_centi_m2, area);
    u->owner_name = *v [C_NAME] ? kf_arena_strdup (im->arena, v [C_NAME]) : NULL;
    u->owner_phone = *v [C_PHONE] ? kf_arena_strdup (im->arena, v [C_PHONE]) : NULL;
    S_SET (u, occupied, yes);
    S_SET (u, move_in_date, *v [C_MOVE_IN] ? kf_day_to_yyyymmdd (day) : 0);
    u->building_type = kf_arena_strdup (im->arena, *v [C_TYPE] ? v [C_TYPE] : "default");
    S_SET (u, parking_spaces, (uint32_t) spaces);
    return u;
}

typedef struct {
    const char *unit;
    int line;
} s_seen_t;

static int
s_by_unit (const void *a, const void *b)
{
    const s_seen_t *x = a, *y = b;
    int c = strcmp (x->unit, y->unit);
    return c ? c : x->line - y->line;
}

static bool
s_same_text (const char *a, const char *b)
{
    return strcmp (a ? a : "", b ? b : "") == 0;
}

//  Whether an import changes what is known of a unit.
static bool
s_unit_changed (const Kf__Unit *was, const Kf__Unit *now)
{
    return was->area_centi_m2 != now->area_centi_m2 || !s_same_text (was->owner_name, now->owner_name)
        || !s_same_text (was->owner_phone, now->owner_phone) || was->occupied != now->occupied
        || was->move_in_date != now->move_in_date || !s_same_text (was->building_type, now->building_type)
        || was->parking_spaces != now->parking_spaces;
}

static int
s_import (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
          kf_arena_t *arena)
{
    const Kf__ImportUnits *q = request->import_units;
    if (!kf_role_manages (request->role))
        return S_FORBIDDEN ("only a supervisor, a manager or operations imports units");
    const s_estate_t *e = s_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    if (!q->has_csv || q->csv.len == 0)
        return S_BAD ("the CSV is empty");
    if (memchr (q->csv.data, 0, q->csv.len))
        return S_BAD ("the CSV holds a NUL byte");
    char *text = kf_arena_alloc (arena, q->csv.len + 1);
    s_import_t im = { .arena = arena, .report = (Kf__ImportReport *) kf_arena_message (arena, &kf__import_report__descriptor) };
    if (!text || !im.report || !(im.report->rejected = kf_arena_alloc (arena, S_REJECTS_LISTED * sizeof (char *))))
        return kf_txn_fail (txn, "out of memory");
    memcpy (text, q->csv.data, q->csv.len);
    text [q->csv.len] = 0;
    Kf__Unit **units = kf_arena_alloc (arena, BILLING_IMPORT_MAX_LINES * sizeof *units);
    s_seen_t *seen = kf_arena_alloc (arena, BILLING_IMPORT_MAX_LINES * sizeof *seen);
    if (!units || !seen)
        return kf_txn_fail (txn, "out of memory");
    size_t count = 0;
    int number = 0;
    bool header = true;
    for (char *line = text, *next; line; line = next) {
        next = strchr (line, '\n');
        if (next)
            *next++ = 0;
        number++;
        size_t len = strlen (line);
        if (len && line [len - 1] == '\r')
            line [--len] = 0;
        if (len == 0)
            continue;
        if (!kf_utf8_valid (line, len)) {
            s_reject (&im, number, "not UTF-8");
            continue;
        }
        if (header) {
            header = false;
            if (s_header (&im, line))
                break;
            continue;
        }
        if (count == BILLING_IMPORT_MAX_LINES) {
            s_reject (&im, number, "more than %d units in one import", BILLING_IMPORT_MAX_LINES);
            break;
        }
        Kf__Unit *u = s_unit_line (&im, e->estate->id, line, number);
        if (u) {
            seen [count] = (s_seen_t) { u->unit, number };
            units [count++] = u;
        }
    }
    if (header && im.rejected == 0)
        s_reject (&im, 1, "there is no header line");
    qsort (seen, count, sizeof *seen, s_by_unit);
    for (size_t i = 1; i < count; i++)
        if (strcmp (seen [i].unit, seen [i - 1].unit) == 0)
            s_reject (&im, seen [i].line, "unit %s is on line %d too", seen [i].unit, seen [i - 1].line);
    S_SET (im.report, accepted, im.rejected ? 0 : (uint32_t) count);
    if (im.rejected)
        S_BAD ("%u line%s rejected; nothing imported", im.rejected, im.rejected == 1 ? "" : "s");
    //  Refused or not, the report goes back: it says what to fix.
    reply->result_case = KF__REPLY__RESULT_IMPORT_REPORT;
    reply->import_report = im.report;
    if (im.rejected)
        return -1;
    kf_key_t counter;
    kf_key_make (&counter, "s|s", "units", e->estate->id);
    for (size_t i = 0; i < count && kf_txn_ok (txn); i++) {
        Kf__Unit *u = units [i];
        Kf__Unit *was = s_unit_get (self, txn, e->estate->id, u->unit, arena);
        if (was && !s_unit_changed (was, u))
            continue;
        if (was) {
            S_SET (u, credit_fen, was->credit_fen);
            S_SET (u, balance_fen, was->balance_fen);
        }
        else
            kf_txn_next (txn, self->counters, &counter);
        s_unit_put (self, txn, u);
        Kf__UnitRegistered registered = KF__UNIT_REGISTERED__INIT;
        registered.unit = u;
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.body_case = KF__ENVELOPE__BODY_UNIT_REGISTERED;
        event.unit_registered = &registered;
        kf_emit (self->outbox, txn, now_ms, e->estate->id, &event, NULL);
    }
    kf_info ("%s: %zu units imported by %s", e->estate->id, count, request->actor ? request->actor : "unknown");
    return kf_txn_ok (txn) ? 0 : -1;
}

static uint64_t
s_unit_count (billing_t *self, kf_txn_t *txn, const char *estate)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", "units", estate);
    return kf_txn_counter (txn, self->counters, &key);
}

typedef struct {
    Kf__UnitList *list;
    kf_arena_t *arena;
} s_units_t;

static int
s_units_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) key;
    s_units_t *l = arg;
    if (!show)
        return 1;
    kf_err_t err;
    Kf__Unit *u = (Kf__Unit *) kf_codec_unpack_in (l->arena, &kf__unit__descriptor, value.data, value.size, &err);
    if (!u)
        return kf_txn_fail (txn, "a unit record does not decode: %s", err.text);
    l->list->units [l->list->n_units++] = u;
    return 1;
}

static int
s_list_units (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ListUnits *q = request->list_units;
    const s_estate_t *e = s_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    uint32_t size = kf_page_size (q->page, BILLING_PAGE_DEFAULT, BILLING_PAGE_MAX);
    s_units_t l = { (Kf__UnitList *) kf_arena_message (arena, &kf__unit_list__descriptor), arena };
    if (!l.list || !(l.list->units = kf_arena_alloc (arena, size * sizeof *l.list->units)))
        return kf_txn_fail (txn, "out of memory");
    kf_key_t prefix, top;
    kf_key_make (&prefix, "s|", e->estate->id);
    kf_key_make (&top, "s|s", e->estate->id, "\x7f");
    kf_page_t page;
    int rc = kf_page_walk (txn, self->units, &prefix, &top, q->page, size, s_units_row, &l, arena, &page);
    if (rc == KF_PAGE_BAD_TOKEN)
        return S_BAD ("page_token is not one this service gave");
    if (rc)
        return -1;
    S_SET (l.list, total, page.total);
    l.list->next_page_token = page.next_token;
    reply->result_case = KF__REPLY__RESULT_UNITS;
    reply->units = l.list;
    return 0;
}

//  ---- fee schedules ----------------------------------------------------------------------------

static int
s_set_schedule (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__SetFeeSchedule *q = request->set_fee_schedule;
    if (!kf_role_manages (request->role))
        return S_FORBIDDEN ("only a supervisor, a manager or operations sets fee schedules");
    const s_estate_t *e = s_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    const Kf__FeeSchedule *f = q->schedule;
    int64_t day;
    if (!f || kf_yyyymmdd_to_day (f->effective_from, &day))
        return S_BAD ("effective_from is not a date (yyyymmdd)");
    if (f->n_rates == 0)
        return S_BAD ("a schedule needs a management-fee rate for at least one building type");
    for (size_t i = 0; i < f->n_rates; i++) {
        const Kf__BuildingRate *r = f->rates [i];
        if (!r->building_type || !kf_config_valid_id (r->building_type))
            return S_BAD ("building type '%s' is not an identifier", r->building_type ? r->building_type : "");
        if (r->fen_per_m2_month < 0 || r->fen_per_m2_month > 100000)
            return S_BAD ("the rate of %s is not 0 to ¥1000 per m²", r->building_type);
        for (size_t j = 0; j < i; j++)
            if (strcmp (f->rates [j]->building_type, r->building_type) == 0)
                return S_BAD ("building type %s has two rates", r->building_type);
    }
    if (f->parking_fen_per_space < 0 || f->parking_fen_per_space > 1000000)
        return S_BAD ("parking is not 0 to ¥10,000 a space");
    for (size_t i = 0; i < f->n_fixed_items; i++) {
        kf_err_t err;
        if (kf_text_check ("name", f->fixed_items [i]->name, 50, &err))
            return S_BAD ("fixed item %zu: %s", i + 1, err.text);
        if (f->fixed_items [i]->amount_fen < 0 || f->fixed_items [i]->amount_fen > 1000000)
            return S_BAD ("fixed item %zu: the amount is 0 to ¥10,000 a month", i + 1);
    }
    if (f->vacant_discount_percent > 100)
        return S_BAD ("vacant_discount_percent is 0 to 100");
    kf_key_t key;
    kf_key_make (&key, "s|u", e->estate->id, f->effective_from);
    kf_txn_put_msg (txn, self->schedules, &key, &f->base);
    kf_notice ("%s: fee schedule from %u set by %s", e->estate->id, f->effective_from,
               request->actor ? request->actor : "unknown");
    reply->result_case = KF__REPLY__RESULT_FEE_SCHEDULE;
    reply->fee_schedule = (Kf__FeeSchedule *) f;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  The schedule in effect on a day: the latest that began by then.
static Kf__FeeSchedule *
s_schedule_on (billing_t *self, kf_txn_t *txn, const char *estate, uint32_t yyyymmdd, kf_arena_t *arena)
{
    kf_key_t key, prefix;
    kf_key_make (&key, "s|u", estate, yyyymmdd + 1);
    kf_key_make (&prefix, "s|", estate);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->schedules);
    kf_val_t k, v;
    Kf__FeeSchedule *found = NULL;
    int rc = cursor ? kf_cursor_seek (cursor, &key, &k, &v) : -1;
    rc = rc == KF_FOUND ? kf_cursor_prev (cursor, &k, &v) : rc == KF_NOTFOUND ? kf_cursor_last (cursor, &k, &v) : rc;
    if (rc == KF_FOUND && kf_key_has_prefix (k, &prefix)) {
        kf_err_t err;
        found = (Kf__FeeSchedule *) kf_codec_unpack_in (arena, &kf__fee_schedule__descriptor, v.data, v.size, &err);
        if (!found)
            kf_txn_fail (txn, "a fee schedule does not decode: %s", err.text);
    }
    kf_cursor_close (&cursor);
    return found;
}

//  ---- the monthly run ---------------------------------------------------------------------------

typedef struct {
    billing_t *self;
    kf_txn_t *txn;
    int64_t now_ms;
    const s_estate_t *estate;
    uint32_t period;
    const Kf__FeeSchedule *schedule;
    int64_t due_at_ms;
    Kf__BillingRunState *state;
    Kf__BillingRunResult *result;
    uint32_t visited;
    kf_arena_t *arena;           //  the request's
    kf_arena_t *scratch;         //  one unit's
    char error [200];
} s_run_t;

static Kf__InvoiceLine *
s_line (kf_arena_t *arena, Kf__ChargeKind kind, const char *description, int64_t quantity_milli, int64_t amount)
{
    Kf__InvoiceLine *line = (Kf__InvoiceLine *) kf_arena_message (arena, &kf__invoice_line__descriptor);
    if (line) {
        S_SET (line, kind, kind);
        line->description = kf_arena_strdup (arena, description);
        if (quantity_milli)
            S_SET (line, quantity_milli, quantity_milli);
        S_SET (line, amount_fen, amount);
    }
    return line;
}

typedef struct {
    billing_t *self;
    kf_txn_t *txn;
    kf_arena_t *arena;
    Kf__InvoiceLine **lines;
    size_t count, size;
    const char *invoice_no;
} s_pending_t;

//  Paid services waiting for this unit's notice: each a line, marked as
//  charged by it.
static int
s_pending_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_pending_t *p = arg;
    char estate [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1], order_no [128];
    if (kf_key_scan (key.data, key.size, "s|s|s", estate, sizeof estate, unit, sizeof unit, order_no, sizeof order_no))
        return kf_txn_fail (txn, "a pending-charge key does not parse");
    kf_key_t charge_key;
    kf_key_make (&charge_key, "s|s", estate, order_no);
    Kf__ChargeRecord *c = (Kf__ChargeRecord *) kf_txn_find_msg_in (txn, p->self->charges, &charge_key, &kf__charge_record__descriptor,
                                                      p->arena);
    if (!c || p->count == p->size)
        return kf_txn_ok (txn) ? 1 : -1;
    c->invoice_no = (char *) p->invoice_no;
    kf_txn_put_msg (txn, p->self->charges, &charge_key, &c->base);
    Kf__InvoiceLine *line = s_line (p->arena, KF__CHARGE_KIND__CHARGE_KIND_PAID_SERVICE,
                                    c->charge->description ? c->charge->description : "paid service", 0,
                                    c->charge->amount_fen);
    if (!line)
        return kf_txn_fail (txn, "out of memory");
    line->reference = kf_arena_strdup (p->arena, order_no);
    p->lines [p->count++] = line;
    return 0;
}

//  A notice issued: its line on the unit's statement, the unit's credit
//  paying it first, the notice kept and indexed. `settle` publishes
//  invoice.settled when the credit paid it all (a notice taken back from
//  the archive has its own invoice.settled to come).
static void
s_invoice_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, Kf__Unit *u, Kf__InvoiceIssued *issued, bool settle)
{
    Kf__Invoice invoice = KF__INVOICE__INIT;
    invoice.issued = issued;
    invoice.estate = u->estate;
    S_SET (&invoice, issued_at_ms, at_ms);
    S_SET (&invoice, paid_fen, 0);
    char what [S_INVOICE_NO_MAX + 16];
    snprintf (what, sizeof what, "notice %s", issued->invoice_no);
    s_ledger (self, txn, at_ms, u, what, issued->total_fen, 0);
    //  Credit from earlier over-payments pays the new notice first.
    if (u->credit_fen > 0) {
        int64_t use = u->credit_fen < issued->total_fen ? u->credit_fen : issued->total_fen;
        S_SET (&invoice, paid_fen, use);
        S_SET (u, credit_fen, u->credit_fen - use);
    }
    if (settle)
        s_settle_if_paid (self, txn, at_ms, &invoice, NULL);
    s_invoice_put (self, txn, &invoice);
    kf_key_t key;
    kf_key_make (&key, "s|s|u", u->estate, u->unit, issued->period);
    kf_txn_put (txn, self->unit_invoices, &key, "", 0);
    s_unit_put (self, txn, u);
}

static int
s_bill_unit (s_run_t *r, Kf__Unit *u)
{
    billing_t *self = r->self;
    kf_arena_t *arena = r->scratch;
    if (s_invoice_get (self, r->txn, u->estate, r->period, u->unit, arena)) {
        r->result->skipped_already_billed++;
        return 0;
    }
    int month_days = billing_month_days (r->period);
    int days = billing_days_billed (r->period, u->move_in_date);
    if (days == 0) {
        r->result->not_moved_in++;
        return 0;
    }
    const Kf__FeeSchedule *f = r->schedule;
    const Kf__BuildingRate *rate = NULL;
    //  The unit's building type, else the schedule's "default" rate.
    for (size_t i = 0; i < f->n_rates; i++)
        if (strcmp (f->rates [i]->building_type, u->building_type ? u->building_type : "default") == 0)
            rate = f->rates [i];
    for (size_t i = 0; i < f->n_rates && !rate; i++)
        if (strcmp (f->rates [i]->building_type, "default") == 0)
            rate = f->rates [i];
    if (!rate) {
        snprintf (r->error, sizeof r->error, "the fee schedule from %u has no rate for building type '%s' (unit %s)",
                  f->effective_from, u->building_type ? u->building_type : "default", u->unit);
        return -1;
    }
    char invoice_no [S_INVOICE_NO_MAX], what [120];
    snprintf (invoice_no, sizeof invoice_no, "%s-%06u-%s", u->estate, r->period, u->unit);
    size_t size = 4 + f->n_fixed_items + 64;
    Kf__InvoiceLine **lines = kf_arena_alloc (arena, size * sizeof *lines);
    if (!lines)
        return kf_txn_fail (r->txn, "out of memory");
    size_t n = 0;
    char days_note [40] = "";
    if (days < month_days)
        snprintf (days_note, sizeof days_note, ", %d of %d days", days, month_days);
    snprintf (what, sizeof what, "management fee%s", days_note);
    int64_t management = billing_management_fee (u->area_centi_m2, rate->fen_per_m2_month, days, month_days);
    lines [n++] = s_line (arena, KF__CHARGE_KIND__CHARGE_KIND_MANAGEMENT_FEE, what, u->area_centi_m2 * 10, management);
    if (!u->occupied && f->vacant_discount_percent) {
        //  From the exact fee, not the rounded one: one rounding per line.
        int64_t discount = kf_muldiv_round (u->area_centi_m2 * days * (int64_t) f->vacant_discount_percent,
                                           rate->fen_per_m2_month, 100 * (int64_t) month_days * 100);
        snprintf (what, sizeof what, "vacant unit discount %u %%", f->vacant_discount_percent);
        lines [n++] = s_line (arena, KF__CHARGE_KIND__CHARGE_KIND_DISCOUNT, what, 0, -discount);
    }
    if (u->parking_spaces && f->parking_fen_per_space) {
        snprintf (what, sizeof what, "parking%s", days_note);
        lines [n++] = s_line (arena, KF__CHARGE_KIND__CHARGE_KIND_PARKING, what, (int64_t) u->parking_spaces * 1000,
                              kf_muldiv_round ((int64_t) u->parking_spaces * f->parking_fen_per_space, days, month_days));
    }
    for (size_t i = 0; i < f->n_fixed_items; i++) {
        snprintf (what, sizeof what, "%s%s", f->fixed_items [i]->name, days_note);
        lines [n++] = s_line (arena, KF__CHARGE_KIND__CHARGE_KIND_FIXED, what, 0,
                              kf_muldiv_round (f->fixed_items [i]->amount_fen, days, month_days));
    }
    s_pending_t pending = { self, r->txn, arena, lines, n, size, NULL };
    pending.invoice_no = kf_arena_strdup (arena, invoice_no);
    kf_key_t prefix;
    kf_key_make (&prefix, "s|s|", u->estate, u->unit);
    if (kf_txn_scan (r->txn, self->pending, &prefix, s_pending_row, &pending) < 0)
        return -1;
    for (size_t i = n; i < pending.count; i++) {
        kf_key_t key;
        kf_key_make (&key, "s|s|s", u->estate, u->unit, pending.lines [i]->reference);
        kf_txn_del (r->txn, self->pending, &key);
    }
    n = pending.count;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (!lines [i])
            return kf_txn_fail (r->txn, "out of memory");
        total += lines [i]->amount_fen;
    }
    Kf__InvoiceIssued issued = KF__INVOICE_ISSUED__INIT;
    issued.invoice_no = (char *) pending.invoice_no;
    issued.unit = u->unit;
    S_SET (&issued, period, r->period);
    issued.lines = lines;
    issued.n_lines = n;
    S_SET (&issued, total_fen, total);
    S_SET (&issued, due_at_ms, r->due_at_ms);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_INVOICE_ISSUED;
    event.invoice_issued = &issued;
    kf_emit (self->outbox, r->txn, r->now_ms, u->estate, &event, NULL);
    s_invoice_book (self, r->txn, r->now_ms, u, &issued, true);
    r->result->issued++;
    r->result->total_fen += total;
    return kf_txn_ok (r->txn) ? 0 : -1;
}

//  Bill the units after the run's cursor, up to a chunk. Each unit is
//  found by a fresh seek, as billing it writes to the table walked.
static int
s_run_units (s_run_t *r)
{
    kf_txn_t *txn = r->txn;
    const char *estate = r->estate->estate->id;
    kf_key_t from, prefix;
    kf_key_make (&prefix, "s|", estate);
    if (r->state->cursor)
        kf_key_make (&from, "s|s", estate, r->state->cursor);
    else
        from = prefix;
    kf_cursor_t *cursor = kf_cursor_open (txn, r->self->units);
    if (!cursor)
        return -1;
    kf_val_t k, v;
    int found = kf_cursor_seek (cursor, &from, &k, &v);
    while (found == KF_FOUND && kf_key_has_prefix (k, &prefix) && kf_txn_ok (txn)) {
        char id [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
        if (kf_key_scan (k.data, k.size, "s|s", id, sizeof id, unit, sizeof unit)) {
            kf_txn_fail (txn, "a unit key does not parse");
            break;
        }
        if (r->state->cursor && strcmp (unit, r->state->cursor) <= 0) {
            found = kf_cursor_next (cursor, &k, &v);
            continue;
        }
        if (r->visited == BILLING_RUN_CHUNK)
            break;
        kf_arena_reset (r->scratch);
        kf_err_t err;
        Kf__Unit *u = (Kf__Unit *) kf_codec_unpack_in (r->scratch, &kf__unit__descriptor, v.data, v.size, &err);
        if (!u) {
            kf_txn_fail (txn, "unit %s does not decode: %s", unit, err.text);
            break;
        }
        if (s_bill_unit (r, u))
            break;
        r->visited++;
        r->state->cursor = kf_arena_strdup (r->arena, unit);
        kf_key_make (&from, "s|s", estate, unit);
        found = kf_cursor_seek (cursor, &from, &k, &v);
    }
    bool done = found != KF_FOUND || !kf_key_has_prefix (k, &prefix);
    kf_cursor_close (&cursor);
    if (!kf_txn_ok (txn) || r->error [0])
        return -1;
    return done ? 1 : 0;
}

//  The estate's local date now: yyyymmdd.
static uint32_t
s_today (const s_estate_t *e, int64_t now_ms)
{
    return kf_day_to_yyyymmdd (kf_local_day (now_ms, e->estate->utc_offset_min));
}

//  The month after the estate's current one: yyyymm. Notices are issued at
//  most that far ahead, so a mistyped year bills no one.
static uint32_t
s_next_month (const s_estate_t *e, int64_t now_ms)
{
    uint32_t month = s_today (e, now_ms) / 100;
    return month % 100 == 12 ? (month / 100 + 1) * 100 + 1 : month + 1;
}

static int
s_run (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
       kf_arena_t *arena)
{
    const Kf__RunBilling *q = request->run_billing;
    if (!kf_role_manages (request->role))
        return S_FORBIDDEN ("only a supervisor, a manager or operations runs billing");
    const s_estate_t *e = s_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    uint32_t period = q->period;
    if (period / 100 < 2000 || period / 100 > 2999 || period % 100 < 1 || period % 100 > 12)
        return S_BAD ("period %u is not a month (yyyymm)", period);
    uint32_t next = s_next_month (e, now_ms);
    if (period > next)
        return S_BAD ("period %04u-%02u is after next month (%04u-%02u): notices are issued at most a month ahead",
                      period / 100, period % 100, next / 100, next % 100);
    s_run_t r = {
        .self = self, .txn = txn, .now_ms = now_ms, .estate = e, .period = period, .arena = arena,
        .scratch = self->scratch,
        .result = (Kf__BillingRunResult *) kf_arena_message (arena, &kf__billing_run_result__descriptor),
    };
    if (!r.result)
        return kf_txn_fail (txn, "out of memory");
    r.schedule = s_schedule_on (self, txn, e->estate->id, period * 100 + 1, arena);
    if (!r.schedule)
        return kf_txn_ok (txn) ? S_BAD ("no fee schedule of %s is in effect on %04u-%02u-01", e->estate->id,
                                        period / 100, period % 100) : -1;
    //  Due by the end of due_day of the month, local time.
    int64_t due_day;
    kf_yyyymmdd_to_day (period * 100 + (uint32_t) e->due_day, &due_day);
    r.due_at_ms = kf_local_day_start (due_day + 1, e->estate->utc_offset_min);
    kf_key_t key;
    kf_key_make (&key, "s|u", e->estate->id, period);
    r.state = (Kf__BillingRunState *) kf_txn_find_msg_in (txn, self->runs, &key, &kf__billing_run_state__descriptor, arena);
    if (!r.state && !kf_txn_ok (txn))
        return -1;
    if (!r.state) {
        r.state = (Kf__BillingRunState *) kf_arena_message (arena, &kf__billing_run_state__descriptor);
        if (!r.state)
            return kf_txn_fail (txn, "out of memory");
        r.state->estate = (char *) e->estate->id;
        S_SET (r.state, period, period);
    }
    if (r.state->done) {
        //  A new pass: units imported since get their notice; the others are skipped.
        r.state->cursor = NULL;
        S_SET (r.state, done, 0);
    }
    int rc = s_run_units (&r);
    if (rc < 0)
        return r.error [0] ? S_BAD ("%s", r.error) : -1;
    bool done = rc == 1;
    S_SET (r.state, done, done);
    S_SET (r.state, visited, done ? 0 : r.state->visited + r.visited);
    S_SET (r.state, issued, r.state->issued + r.result->issued);
    S_SET (r.state, skipped, r.state->skipped + r.result->skipped_already_billed);
    S_SET (r.state, total_fen, r.state->total_fen + r.result->total_fen);
    kf_txn_put_msg (txn, self->runs, &key, &r.state->base);
    S_SET (r.result, period, period);
    r.result->estate = (char *) e->estate->id;
    r.result->has_issued = r.result->has_skipped_already_billed = r.result->has_total_fen = 1;
    r.result->has_not_moved_in = 1;
    //  What is left of this pass: the estate's units it has not visited.
    uint64_t units = s_unit_count (self, txn, e->estate->id);
    S_SET (r.result, remaining, done || units <= r.state->visited ? (done ? 0 : 1) : (uint32_t) (units - r.state->visited));
    kf_info ("%s: billing %06u: %u issued, %u already billed, %u left", e->estate->id, period, r.result->issued,
             r.result->skipped_already_billed, r.result->remaining);
    reply->result_case = KF__REPLY__RESULT_BILLING_RUN;
    reply->billing_run = r.result;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- payments and refunds ---------------------------------------------------------------------

static const char *
s_receipt_no (billing_t *self, kf_txn_t *txn, const char *estate, kf_arena_t *arena)
{
    kf_key_t key;
    kf_key_make (&key, "s|s", "receipts", estate);
    char text [KF_ID_MAX + 24];
    snprintf (text, sizeof text, "%s-R%08" PRIu64, estate, kf_txn_next (txn, self->counters, &key));
    return kf_arena_strdup (arena, text);
}

typedef struct {
    uint32_t periods [512];
    size_t count;
} s_periods_t;

static int
s_period_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) value;
    s_periods_t *p = arg;
    char estate [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
    uint32_t period;
    if (p->count == sizeof p->periods / sizeof p->periods [0])
        return 1;
    if (kf_key_scan (key.data, key.size, "s|s|u", estate, sizeof estate, unit, sizeof unit, &period))
        return kf_txn_fail (txn, "a unit's notice key does not parse");
    p->periods [p->count++] = period;
    return 0;
}

//  A payment received, its allocations made: what was over goes to the
//  unit's credit, its line on the statement, its record kept (by its
//  reference, with the hash of the request that made it).
static void
s_payment_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, Kf__Unit *unit,
                Kf__PaymentReceived *p, uint64_t hash, Kf__PaymentRecord *record)
{
    S_SET (unit, credit_fen, unit->credit_fen + p->credit_fen);
    char what [S_REF_MAX + KF_ID_MAX + 48];
    snprintf (what, sizeof what, "payment %s, receipt %s", p->payment_ref, p->receipt_no);
    s_ledger (self, txn, at_ms, unit, what, 0, p->amount_fen);
    s_unit_put (self, txn, unit);
    record->payment = p;
    record->estate = (char *) estate;
    S_SET (record, at_ms, at_ms);
    S_SET (record, refunded_fen, 0);
    S_SET (record, request_hash, hash);
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, p->payment_ref);
    kf_txn_put_msg (txn, self->payments, &key, &record->base);
}

static int
s_pay (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
       kf_arena_t *arena)
{
    const Kf__Pay *q = request->pay;
    const s_estate_t *e = s_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    const char *estate = e->estate->id;
    kf_err_t err;
    if (kf_ref_check ("payment_ref", q->payment_ref, S_REF_MAX, &err))
        return S_BAD ("%s", err.text);
    if (kf_fen_check_positive (q->amount_fen, BILLING_AMOUNT_MAX, &err))
        return S_BAD ("%s", err.text);
    if (q->method && kf_text_check ("method", q->method, 20, &err))
        return S_BAD ("%s", err.text);
    uint64_t hash = kf_codec_digest (&q->base);
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, q->payment_ref);
    Kf__PaymentRecord *known = (Kf__PaymentRecord *) kf_txn_find_msg_in (txn, self->payments, &key,
                                                           &kf__payment_record__descriptor, arena);
    if (known) {
        if (known->request_hash != hash)
            return S_CONFLICT ("payment_ref %s was used for another payment", q->payment_ref);
        reply->result_case = KF__REPLY__RESULT_PAYMENT;
        reply->payment = known->payment;
        return 0;
    }
    if (!kf_txn_ok (txn))
        return -1;
    if (!q->unit || !kf_unit_valid (q->unit))
        return S_BAD ("unit '%s' is not a unit (building-unit-room)", q->unit ? q->unit : "");
    Kf__Unit *unit = s_unit_get (self, txn, estate, q->unit, arena);
    if (!unit)
        return kf_txn_ok (txn) ? S_NOT_FOUND ("no unit %s in %s", q->unit, estate) : -1;
    //  Oldest notice first; within one, principal before late fees.
    s_periods_t *periods = kf_arena_alloc (arena, sizeof *periods);
    Kf__Allocation **allocations = kf_arena_alloc (arena, 512 * sizeof *allocations);
    if (!periods || !allocations)
        return kf_txn_fail (txn, "out of memory");
    periods->count = 0;
    kf_key_t prefix;
    kf_key_make (&prefix, "s|s|", estate, q->unit);
    kf_txn_scan (txn, self->unit_invoices, &prefix, s_period_row, periods);
    int64_t left = q->amount_fen;
    size_t n = 0;
    for (size_t i = 0; i < periods->count && left > 0 && kf_txn_ok (txn); i++) {
        Kf__Invoice *invoice = s_invoice_get (self, txn, estate, periods->periods [i], q->unit, arena);
        if (!invoice || invoice->settled_at_ms || s_outstanding (invoice) <= 0)
            continue;
        int64_t take = s_outstanding (invoice) < left ? s_outstanding (invoice) : left;
        S_SET (invoice, paid_fen, invoice->paid_fen + take);
        left -= take;
        Kf__Allocation *a = (Kf__Allocation *) kf_arena_message (arena, &kf__allocation__descriptor);
        if (!a)
            return kf_txn_fail (txn, "out of memory");
        a->invoice_no = invoice->issued->invoice_no;
        S_SET (a, amount_fen, take);
        allocations [n++] = a;
        s_settle_if_paid (self, txn, now_ms, invoice, NULL);
        s_invoice_put (self, txn, invoice);
    }
    Kf__PaymentReceived *p = (Kf__PaymentReceived *) kf_arena_message (arena, &kf__payment_received__descriptor);
    Kf__PaymentRecord *record = (Kf__PaymentRecord *) kf_arena_message (arena, &kf__payment_record__descriptor);
    if (!p || !record)
        return kf_txn_fail (txn, "out of memory");
    p->payment_ref = q->payment_ref;
    p->unit = unit->unit;
    S_SET (p, amount_fen, q->amount_fen);
    p->allocations = allocations;
    p->n_allocations = n;
    S_SET (p, credit_fen, left);
    p->receipt_no = (char *) s_receipt_no (self, txn, estate, arena);
    p->method = q->method;
    s_payment_book (self, txn, now_ms, estate, unit, p, hash, record);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_PAYMENT_RECEIVED;
    event.payment_received = p;
    event.actor = request->actor;
    kf_emit (self->outbox, txn, now_ms, estate, &event, NULL);
    reply->result_case = KF__REPLY__RESULT_PAYMENT;
    reply->payment = p;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  A refund of `amount` out of a payment: from the unit's credit first,
//  then from what the payment paid, newest notice first, each notice
//  reopened when it owes again. The reversal is noted in the record (the
//  caller keeps it). Returns what could not be found (0: all of it), or
//  -1 when the transaction failed.
static int64_t
s_refund_reverse (billing_t *self, kf_txn_t *txn, const char *estate, Kf__PaymentRecord *record, Kf__Unit *unit,
                  int64_t amount, kf_arena_t *arena)
{
    const Kf__PaymentReceived *p = record->payment;
    int64_t left = amount;
    int64_t from_credit = unit->credit_fen < left ? unit->credit_fen : left;
    S_SET (unit, credit_fen, unit->credit_fen - from_credit);
    left -= from_credit;
    int64_t *reversed = kf_arena_alloc (arena, (p->n_allocations + 1) * sizeof *reversed);
    if (!reversed)
        return kf_txn_fail (txn, "out of memory");
    for (size_t i = 0; i < p->n_allocations; i++)
        reversed [i] = i < record->n_reversed_fen ? record->reversed_fen [i] : 0;
    for (size_t i = p->n_allocations; i-- > 0 && left > 0 && kf_txn_ok (txn); ) {
        char id [KF_ID_MAX + 1], unit_id [S_UNIT_MAX + 1];
        uint32_t period;
        if (!s_invoice_no_parse (p->allocations [i]->invoice_no, id, &period, unit_id))
            continue;
        Kf__Invoice *invoice = s_invoice_get (self, txn, estate, period, unit_id, arena);
        if (!invoice)
            continue;
        int64_t back = p->allocations [i]->amount_fen - reversed [i];
        if (back > left)
            back = left;
        if (back > invoice->paid_fen)
            back = invoice->paid_fen;
        if (back <= 0)
            continue;
        reversed [i] += back;
        S_SET (invoice, paid_fen, invoice->paid_fen - back);
        if (s_outstanding (invoice) > 0)
            S_SET (invoice, settled_at_ms, 0);
        s_invoice_put (self, txn, invoice);
        left -= back;
    }
    record->reversed_fen = reversed;
    record->n_reversed_fen = p->n_allocations;
    return kf_txn_ok (txn) ? left : -1;
}

//  A refund made: the payment's record, the refund's, its statement line.
static void
s_refund_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, const char *estate, Kf__Unit *unit,
               Kf__PaymentRecord *record, Kf__PaymentRefunded *r)
{
    S_SET (record, refunded_fen, record->refunded_fen + r->amount_fen);
    kf_key_t key;
    kf_key_make (&key, "s|s", estate, r->payment_ref);
    kf_txn_put_msg (txn, self->payments, &key, &record->base);
    kf_key_make (&key, "s|s", estate, r->refund_ref);
    kf_txn_put_msg (txn, self->refunds, &key, &r->base);
    char what [2 * S_REF_MAX + KF_ID_MAX + 48];
    snprintf (what, sizeof what, "refund %s of payment %s, receipt %s", r->refund_ref, r->payment_ref, r->receipt_no);
    s_ledger (self, txn, at_ms, unit, what, r->amount_fen, 0);
    s_unit_put (self, txn, unit);
}

static int
s_refund (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
          kf_arena_t *arena)
{
    const Kf__Refund *q = request->refund;
    if (!kf_role_manages (request->role))
        return S_FORBIDDEN ("only a supervisor, a manager or operations refunds");
    const s_estate_t *e = s_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    const char *estate = e->estate->id;
    kf_err_t err;
    if (kf_ref_check ("payment_ref", q->payment_ref, S_REF_MAX, &err)
    ||  kf_ref_check ("refund_ref", q->refund_ref, S_REF_MAX, &err))
        return S_BAD ("%s", err.text);
    if (kf_fen_check_positive (q->amount_fen, BILLING_AMOUNT_MAX, &err))
        return S_BAD ("%s", err.text);
    if (kf_text_check ("reason", q->reason, 200, &err))
        return S_BAD ("a refund needs a reason: %s", err.text);
    kf_key_t refund_key, payment_key;
    kf_key_make (&refund_key, "s|s", estate, q->refund_ref);
    Kf__PaymentRefunded *known = (Kf__PaymentRefunded *) kf_txn_find_msg_in (txn, self->refunds, &refund_key,
                                                               &kf__payment_refunded__descriptor, arena);
    if (known) {
        if (strcmp (known->payment_ref, q->payment_ref) != 0 || known->amount_fen != q->amount_fen)
            return S_CONFLICT ("refund_ref %s was used for another refund", q->refund_ref);
        reply->result_case = KF__REPLY__RESULT_REFUND;
        reply->refund = known;
        return 0;
    }
    kf_key_make (&payment_key, "s|s", estate, q->payment_ref);
    Kf__PaymentRecord *record = (Kf__PaymentRecord *) kf_txn_find_msg_in (txn, self->payments, &payment_key,
                                                            &kf__payment_record__descriptor, arena);
    if (!record)
        return kf_txn_ok (txn) ? S_NOT_FOUND ("no payment %s in %s", q->payment_ref, estate) : -1;
    Kf__PaymentReceived *p = record->payment;
    if (q->amount_fen > p->amount_fen - record->refunded_fen) {
        char left [32];
        return S_CONFLICT ("payment %s has ¥%s left to refund", q->payment_ref,
                           kf_fen_format (p->amount_fen - record->refunded_fen, left, sizeof left));
    }
    Kf__Unit *unit = s_unit_get (self, txn, estate, p->unit, arena);
    if (!unit)
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "payment %s names unit %s, which is not there", q->payment_ref,
                                              p->unit) : -1;
    int64_t left = s_refund_reverse (self, txn, estate, record, unit, q->amount_fen, arena);
    if (left < 0)
        return -1;
    if (left > 0) {
        char short_of [32];
        return S_CONFLICT ("unit %s is ¥%s short of that refund: its credit and what the payment paid are less",
                           p->unit, kf_fen_format (left, short_of, sizeof short_of));
    }
    Kf__PaymentRefunded *r = (Kf__PaymentRefunded *) kf_arena_message (arena, &kf__payment_refunded__descriptor);
    if (!r)
        return kf_txn_fail (txn, "out of memory");
    r->payment_ref = q->payment_ref;
    r->refund_ref = q->refund_ref;
    r->unit = p->unit;
    S_SET (r, amount_fen, q->amount_fen);
    r->receipt_no = (char *) s_receipt_no (self, txn, estate, arena);
    r->reason = q->reason;
    s_refund_book (self, txn, now_ms, estate, unit, record, r);
    Kf__Envelope event = KF__ENVELOPE__INIT;
    event.body_case = KF__ENVELOPE__BODY_PAYMENT_REFUNDED;
    event.payment_refunded = r;
    event.actor = request->actor;
    kf_emit (self->outbox, txn, now_ms, estate, &event, NULL);
    reply->result_case = KF__REPLY__RESULT_REFUND;
    reply->refund = r;
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- statements and reports --------------------------------------------------------------------

#define S_STATEMENT_MAX 2000   //  lines of a statement shown: the newest
#define S_NOTICES_MAX   120    //  notices of a statement shown in full: the newest (ten years)

typedef struct {
    Kf__StatementLine **lines;
    size_t count;
    kf_arena_t *arena;
} s_statement_t;

static int
s_statement_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, void *arg)
{
    (void) key;
    s_statement_t *st = arg;
    kf_err_t err;
    Kf__StatementLine *line = (Kf__StatementLine *) kf_codec_unpack_in (st->arena, &kf__statement_line__descriptor,
                                                                        value.data, value.size, &err);
    if (!line)
        return kf_txn_fail (txn, "a ledger line does not decode: %s", err.text);
    if (st->count == S_STATEMENT_MAX) {
        memmove (st->lines, st->lines + 1, (S_STATEMENT_MAX - 1) * sizeof *st->lines);
        st->count--;
    }
    st->lines [st->count++] = line;
    return 0;
}

typedef struct {
    billing_t *self;
    Kf__Invoice **notices;
    size_t count;
    kf_arena_t *arena;
} s_notices_t;

//  A unit's notice, newest first, in full: its lines, late fees, reminders.
static int
s_notice_row (kf_txn_t *txn, kf_val_t key, kf_val_t value, bool show, void *arg)
{
    (void) value;
    s_notices_t *n = arg;
    char estate [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
    uint32_t period;
    if (!show)
        return 2;
    if (kf_key_scan (key.data, key.size, "s|s|u", estate, sizeof estate, unit, sizeof unit, &period))
        return kf_txn_fail (txn, "a unit's notice key does not parse");
    Kf__Invoice *invoice = s_invoice_get (n->self, txn, estate, period, unit, n->arena);
    if (!invoice)
        return kf_txn_ok (txn) ? kf_txn_fail (txn, "notice %s-%06u-%s is indexed but not there", estate, period, unit)
                               : -1;
    n->notices [n->count++] = invoice;
    return 1;
}

static int
s_statement (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__GetStatement *q = request->statement;
    const s_estate_t *e = s_request_estate (self, request, q->estate, reply, arena);
    if (!e)
        return -1;
    if (!q->unit || !kf_unit_valid (q->unit))
        return S_BAD ("unit '%s' is not a unit (building-unit-room)", q->unit ? q->unit : "");
    Kf__Unit *unit = s_unit_get (self, txn, e->estate->id, q->unit, arena);
    if (!unit)
        return kf_txn_ok (txn) ? S_NOT_FOUND ("no unit %s in %s", q->unit, e->estate->id) : -1;
    s_statement_t st = { kf_arena_alloc (arena, S_STATEMENT_MAX * sizeof (Kf__StatementLine *)), 0, arena };
    Kf__Statement *statement = (Kf__Statement *) kf_arena_message (arena, &kf__statement__descriptor);
    if (!st.lines || !statement)
        return kf_txn_fail (txn, "out of memory");
    kf_key_t prefix, top;
    kf_key_make (&prefix, "s|s|", e->estate->id, q->unit);
    if (kf_txn_scan (txn, self->ledger, &prefix, s_statement_row, &st) < 0)
        return -1;
    s_notices_t n = { self, kf_arena_alloc (arena, S_NOTICES_MAX * sizeof (Kf__Invoice *)), 0, arena };
    kf_page_t page;
    kf_key_make (&top, "s|s|u", e->estate->id, q->unit, UINT32_MAX);
    if (!n.notices)
        return kf_txn_fail (txn, "out of memory");
    if (kf_page_walk (txn, self->unit_invoices, &prefix, &top, NULL, S_NOTICES_MAX, s_notice_row, &n, arena, &page))
        return -1;
    for (size_t i = 0; i < n.count / 2; i++) {
        Kf__Invoice *newer = n.notices [i];
        n.notices [i] = n.notices [n.count - 1 - i];
        n.notices [n.count - 1 - i] = newer;
    }
    statement->unit = unit->unit;
    statement->lines = st.lines;
    statement->n_lines = st.count;
    statement->notices = n.notices;
    statement->n_notices = n.count;
    S_SET (statement, balance_fen, unit->balance_fen);
    reply->result_case = KF__REPLY__RESULT_STATEMENT;
    reply->statement = statement;
    return 0;
}

static bool
s_period_valid (uint32_t period)
{
    return period / 100 >= 2000 && period / 100 <= 2999 && period % 100 >= 1 && period % 100 <= 12;
}

static int
s_collection (billing_t *self, kf_txn_t *txn, const Kf__Request *request, Kf__Reply *reply, kf_arena_t *arena)
{
    const Kf__ReportCollection *q = request->report_collection;
    uint32_t from = q->period_from, to = q->has_period_to && q->period_to ? q->period_to : q->period_from;
    if (!s_period_valid (from) || !s_period_valid (to) || to < from)
        return S_BAD ("the periods are months (yyyymm), the first not after the last");
    Kf__CollectionReport *report = (Kf__CollectionReport *) kf_arena_message (arena, &kf__collection_report__descriptor);
    if (!report || !(report->rows = kf_arena_alloc (arena, (self->estate_count + 1) * sizeof *report->rows)))
        return kf_txn_fail (txn, "out of memory");
    const char *only = q->estate && *q->estate ? q->estate : NULL;
    if (only && (!s_estate (self, only) || !kf_request_sees (request, only)))
        return S_NOT_FOUND ("unknown estate '%s'", only);
    for (size_t i = 0; i < self->estate_count; i++) {
        const char *estate = self->estates [i].estate->id;
        if ((only && strcmp (only, estate) != 0) || !kf_request_sees (request, estate))
            continue;
        int64_t billed = 0, collected = 0;
        kf_key_t start, prefix;
        kf_key_make (&start, "s|u", estate, from);
        kf_key_make (&prefix, "s|", estate);
        kf_cursor_t *cursor = kf_cursor_open (txn, self->invoices);
        kf_val_t k, v;
        for (int found = cursor ? kf_cursor_seek (cursor, &start, &k, &v) : -1;
             found == KF_FOUND && kf_key_has_prefix (k, &prefix); found = kf_cursor_next (cursor, &k, &v)) {
            char id [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
            uint32_t period;
            if (kf_key_scan (k.data, k.size, "s|u|s", id, sizeof id, &period, unit, sizeof unit) || period > to)
                break;
            Kf__Invoice *invoice = (Kf__Invoice *) kf_codec_unpack (&kf__invoice__descriptor, v.data, v.size, NULL);
            if (!invoice || !invoice->issued) {
                kf_codec_free ((ProtobufCMessage **) &invoice);
                kf_cursor_close (&cursor);
                return kf_txn_fail (txn, "a notice does not decode");
            }
            int64_t total = invoice->issued->total_fen;
            billed += total;
            collected += invoice->paid_fen < total ? invoice->paid_fen : total;
            kf_codec_free ((ProtobufCMessage **) &invoice);
        }
        kf_cursor_close (&cursor);
        Kf__CollectionRow *row = (Kf__CollectionRow *) kf_arena_message (arena, &kf__collection_row__descriptor);
        if (!row)
            return kf_txn_fail (txn, "out of memory");
        row->estate = (char *) estate;
        S_SET (row, billed_fen, billed);
        S_SET (row, collected_fen, collected);
        S_SET (row, rate_permille, kf_permille ((uint64_t) collected, (uint64_t) billed));
        report->rows [report->n_rows++] = row;
    }
    S_SET (report, period_from, from);
    S_SET (report, period_to, to);
    reply->result_case = KF__REPLY__RESULT_COLLECTION;
    reply->collection = report;
    return 0;
}

static int
s_arrears_report (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request, Kf__Reply *reply,
                  kf_arena_t *arena)
{
    const s_estate_t *e = s_request_estate (self, request, request->report_arrears->estate, reply, arena);
    if (!e)
        return -1;
    Kf__ArrearsReport *report = (Kf__ArrearsReport *) kf_arena_message (arena, &kf__arrears_report__descriptor);
    if (!report)
        return kf_txn_fail (txn, "out of memory");
    report->estate = (char *) e->estate->id;
    int64_t buckets [4] = { 0 };
    kf_key_t prefix;
    kf_key_make (&prefix, "s|", e->estate->id);
    kf_cursor_t *cursor = kf_cursor_open (txn, self->open);
    kf_val_t k, v;
    int offset = e->estate->utc_offset_min;
    for (int found = cursor ? kf_cursor_seek (cursor, &prefix, &k, &v) : -1;
         found == KF_FOUND && kf_key_has_prefix (k, &prefix) && kf_txn_ok (txn); found = kf_cursor_next (cursor, &k, &v)) {
        char estate [KF_ID_MAX + 1], again [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
        int64_t due;
        uint32_t period;
        if (kf_key_scan (k.data, k.size, "s|t|s|u|s", estate, sizeof estate, &due, again, sizeof again, &period,
                         unit, sizeof unit))
            continue;
        if (due > now_ms)
            break;
        Kf__Invoice *invoice = s_invoice_get (self, txn, estate, period, unit, self->scratch);
        if (!invoice)
            continue;
        int64_t days = kf_local_day (now_ms, offset) - kf_local_day (due - 1, offset);
        int bucket = days <= 30 ? 0 : days <= 90 ? 1 : days <= 180 ? 2 : 3;
        buckets [bucket] += s_outstanding (invoice);
    }
    kf_cursor_close (&cursor);
    kf_arena_reset (self->scratch);
    S_SET (report, days_0_30_fen, buckets [0]);
    S_SET (report, days_31_90_fen, buckets [1]);
    S_SET (report, days_91_180_fen, buckets [2]);
    S_SET (report, days_over_180_fen, buckets [3]);
    reply->result_case = KF__REPLY__RESULT_ARREARS;
    reply->arrears = report;
    return kf_txn_ok (txn) ? 0 : -1;
}

int
billing_handle_request (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                        Kf__Reply *reply, kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    s_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_IMPORT_UNITS:
            return s_import (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_LIST_UNITS:
            return s_list_units (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_SET_FEE_SCHEDULE:
            return s_set_schedule (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_RUN_BILLING:
            return s_run (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_PAY:
            return s_pay (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_REFUND:
            return s_refund (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_STATEMENT:
            return s_statement (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_COLLECTION:
            return s_collection (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_REPORT_ARREARS:
            return s_arrears_report (self, txn, now_ms, request, reply, arena);
        default:
            return S_BAD ("kefu-billing does not answer this command");
    }
}

//  ---- paid services ------------------------------------------------------------------------------

int
billing_apply_event (billing_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    s_tables (self, txn);
    if (event->body_case != KF__ENVELOPE__BODY_ORDER_COMPLETED)
        return 0;
    const Kf__OrderCompleted *o = event->order_completed;
    if (!o->paid_service || o->amount_fen <= 0 || !o->order_no || !o->unit || !kf_unit_valid (o->unit)
    ||  !s_estate (self, event->estate))
        return 0;
    if (o->amount_fen > BILLING_AMOUNT_MAX) {
        kf_warning ("%s: a paid service of %" PRId64 " fen is beyond any notice: not charged", o->order_no, o->amount_fen);
        return 0;
    }
    kf_arena_reset (self->scratch);
    kf_key_t key;
    kf_key_make (&key, "s|s", event->estate, o->order_no);
    kf_val_t known;
    int rc = kf_txn_get (txn, self->charges, &key, &known);
    if (rc != KF_NOTFOUND)
        return rc == KF_FOUND ? 0 : -1;   //  charged once, however often replayed
    char description [160];
    snprintf (description, sizeof description, "paid service, order %s", o->order_no);
    Kf__InvoiceChargeAdded charge = KF__INVOICE_CHARGE_ADDED__INIT;
    charge.charge_id = o->order_no;
    charge.unit = o->unit;
    S_SET (&charge, amount_fen, o->amount_fen);
    charge.description = description;
    Kf__ChargeRecord record = KF__CHARGE_RECORD__INIT;
    record.charge = &charge;
    record.estate = event->estate;
    S_SET (&record, at_ms, event->has_occurred_at_ms ? event->occurred_at_ms : now_ms);
    kf_txn_put_msg (txn, self->charges, &key, &record.base);
    kf_key_t pending;
    kf_key_make (&pending, "s|s|s", event->estate, o->unit, o->order_no);
    kf_txn_put (txn, self->pending, &pending, "", 0);
    Kf__Envelope out = KF__ENVELOPE__INIT;
    out.body_case = KF__ENVELOPE__BODY_INVOICE_CHARGE_ADDED;
    out.invoice_charge_added = &charge;
    kf_emit (self->outbox, txn, now_ms, event->estate, &out, event->event_id);
    return kf_txn_ok (txn) ? 0 : -1;
}

//  ---- arrears: once a local day per estate ------------------------------------------------------------

static Kf__ArrearsDay *
s_arrears_day (billing_t *self, kf_txn_t *txn, const s_estate_t *e, kf_arena_t *arena)
{
    kf_key_t key;
    kf_key_make (&key, "s", e->estate->id);
    return (Kf__ArrearsDay *) kf_txn_find_msg_in (txn, self->arrears, &key, &kf__arrears_day__descriptor, arena);
}

static bool
s_day_has_work (const Kf__ArrearsDay *day, uint32_t today)
{
    return !day || day->day < today || (day->has_cursor && day->cursor.len > 0);
}

bool
billing_arrears_due (billing_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    s_tables (self, txn);
    kf_arena_reset (self->scratch);
    for (size_t i = 0; i < self->estate_count; i++)
        if (s_day_has_work (s_arrears_day (self, txn, &self->estates [i], self->scratch), s_today (&self->estates [i], now_ms)))
            return true;
    return false;
}

//  A reminder sent for a notice, kept with it for the statement.
static void
s_keep_reminder (kf_txn_t *txn, Kf__Invoice *invoice, int64_t now_ms, uint32_t step, kf_arena_t *arena)
{
    Kf__InvoiceReminder **all = kf_arena_alloc (arena, (invoice->n_reminders + 1) * sizeof *all);
    Kf__InvoiceReminder *r = (Kf__InvoiceReminder *) kf_arena_message (arena, &kf__invoice_reminder__descriptor);
    if (!all || !r) {
        kf_txn_fail (txn, "out of memory");
        return;
    }
    S_SET (r, days_overdue, step);
    S_SET (r, sent_at_ms, now_ms);
    S_SET (r, outstanding_fen, s_outstanding (invoice));
    if (invoice->n_reminders)
        memcpy (all, invoice->reminders, invoice->n_reminders * sizeof *all);
    all [invoice->n_reminders] = r;
    invoice->reminders = all;
    invoice->n_reminders++;
}

//  A late fee charged on a notice (its total so far `fee`, `added` of it
//  new): the notice's fee and the unit's statement line.
static void
s_late_fee_book (billing_t *self, kf_txn_t *txn, int64_t at_ms, Kf__Invoice *invoice, int64_t added, int64_t fee,
                 uint32_t days, kf_arena_t *arena)
{
    S_SET (invoice, late_fee_fen, fee);
    Kf__Unit *unit = s_unit_get (self, txn, invoice->estate, invoice->issued->unit, arena);
    if (unit) {
        char what [S_INVOICE_NO_MAX + 48];
        snprintf (what, sizeof what, "late fee on %s, %u days", invoice->issued->invoice_no, days);
        s_ledger (self, txn, at_ms, unit, what, added, 0);
        s_unit_put (self, txn, unit);
    }
}

//  One overdue notice on a new day: its late fee up to today, and the
//  highest reminder step it has reached and not been sent. The fee accrues
//  exactly and is charged as that total rounded once; a notice that
//  accrued before the exact amount was kept starts from its fee in fen.
static void
s_overdue (billing_t *self, kf_txn_t *txn, int64_t now_ms, const s_estate_t *e, Kf__Invoice *invoice,
           kf_arena_t *arena)
{
    const Kf__InvoiceIssued *i = invoice->issued;
    int offset = e->estate->utc_offset_min;
    int64_t days_overdue = kf_local_day (now_ms, offset) - kf_local_day (i->due_at_ms - 1, offset);
    if (days_overdue <= 0 || s_outstanding (invoice) <= 0)
        return;
    bool changed = false;
    int64_t chargeable = days_overdue - e->late_fee_grace_days;
    if (e->late_fee_per_day > 0 && chargeable > invoice->late_fee_days) {
        int64_t unpaid = i->total_fen - invoice->paid_fen;
        int64_t exact = invoice->has_late_fee_exact ? invoice->late_fee_exact
                                                    : invoice->late_fee_fen * BILLING_EXACT_PER_FEN;
        exact = billing_late_fee_accrue (i->total_fen, unpaid > 0 ? unpaid : 0, exact, e->late_fee_per_day,
                                         (int) (chargeable - invoice->late_fee_days), e->late_fee_cap_percent);
        int64_t fee = billing_late_fee_charged (i->total_fen, exact, e->late_fee_cap_percent);
        int64_t added = fee - invoice->late_fee_fen;
        S_SET (invoice, late_fee_exact, exact);
        S_SET (invoice, late_fee_days, (uint32_t) chargeable);
        changed = true;
        if (added > 0) {
            s_late_fee_book (self, txn, now_ms, invoice, added, fee, (uint32_t) chargeable, arena);
            Kf__InvoiceLateFee late = KF__INVOICE_LATE_FEE__INIT;
            late.invoice_no = i->invoice_no;
            late.unit = i->unit;
            S_SET (&late, amount_fen, added);
            S_SET (&late, days_overdue, (uint32_t) chargeable);
            S_SET (&late, total_late_fee_fen, fee);
            Kf__Envelope event = KF__ENVELOPE__INIT;
            event.body_case = KF__ENVELOPE__BODY_INVOICE_LATE_FEE;
            event.invoice_late_fee = &late;
            kf_emit (self->outbox, txn, now_ms, invoice->estate, &event, NULL);
        }
    }
    //  Every step reached and not yet sent, in order: billing down over the
    //  7th and the 15th day sends both when it is back, each once.
    for (int s = 0; s < e->step_count; s++) {
        int step = e->steps [s];
        if (step > days_overdue || (uint32_t) step <= invoice->reminder_step)
            continue;
        S_SET (invoice, reminder_step, (uint32_t) step);
        s_keep_reminder (txn, invoice, now_ms, (uint32_t) step, arena);
        changed = true;
        Kf__ReminderSent reminder = KF__REMINDER_SENT__INIT;
        reminder.invoice_no = i->invoice_no;
        reminder.unit = i->unit;
        S_SET (&reminder, days_overdue, (uint32_t) step);
        S_SET (&reminder, outstanding_fen, s_outstanding (invoice));
        Kf__Envelope event = KF__ENVELOPE__INIT;
        event.body_case = KF__ENVELOPE__BODY_REMINDER_SENT;
        event.reminder_sent = &reminder;
        kf_emit (self->outbox, txn, now_ms, invoice->estate, &event, NULL);
    }
    if (changed)
        s_invoice_put (self, txn, invoice);
}

int
billing_arrears_step (billing_t *self, kf_txn_t *txn, int64_t now_ms)
{
    assert (self && txn);
    s_tables (self, txn);
    for (size_t i = 0; i < self->estate_count; i++) {
        const s_estate_t *e = &self->estates [i];
        kf_arena_reset (self->scratch);
        uint32_t today = s_today (e, now_ms);
        Kf__ArrearsDay *day = s_arrears_day (self, txn, e, self->scratch);
        if (!kf_txn_ok (txn))
            return -1;
        if (!s_day_has_work (day, today))
            continue;
        Kf__ArrearsDay fresh = KF__ARREARS_DAY__INIT;
        kf_key_t from, prefix;
        kf_key_make (&prefix, "s|", e->estate->id);
        if (!day || day->day < today) {
            day = &fresh;
            fresh.estate = (char *) e->estate->id;
            S_SET (&fresh, day, today);
            from = prefix;
        }
        else {
            from.size = day->cursor.len <= KF_KEY_MAX ? day->cursor.len : 0;
            memcpy (from.data, day->cursor.data, from.size);
        }
        kf_cursor_t *cursor = kf_cursor_open (txn, self->open);
        kf_val_t k, v;
        int done = 0, found = cursor ? kf_cursor_seek (cursor, &from, &k, &v) : -1;
        kf_key_t next = { 0 };
        while (found == KF_FOUND && kf_key_has_prefix (k, &prefix) && kf_txn_ok (txn)) {
            char estate [KF_ID_MAX + 1], again [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
            int64_t due;
            uint32_t period;
            if (kf_key_scan (k.data, k.size, "s|t|s|u|s", estate, sizeof estate, &due, again, sizeof again, &period,
                             unit, sizeof unit) || due > now_ms)
                break;
            if (done == BILLING_ARREARS_CHUNK) {
                next.size = k.size;
                memcpy (next.data, k.data, k.size);
                break;
            }
            Kf__Invoice *invoice = s_invoice_get (self, txn, estate, period, unit, self->scratch);
            if (invoice)
                s_overdue (self, txn, now_ms, e, invoice, self->scratch);
            done++;
            //  s_overdue may have written to the table walked: find the next key afresh.
            kf_key_t here;
            kf_key_make (&here, "s|t|s|u|s", estate, due, again, period, unit);
            found = kf_cursor_seek (cursor, &here, &k, &v);
            if (found == KF_FOUND && k.size == here.size && memcmp (k.data, here.data, k.size) == 0)
                found = kf_cursor_next (cursor, &k, &v);
        }
        kf_cursor_close (&cursor);
        day->cursor.data = next.data;
        day->cursor.len = next.size;
        day->has_cursor = 1;
        kf_key_t key;
        kf_key_make (&key, "s", e->estate->id);
        kf_txn_put_msg (txn, self->arrears, &key, &day->base);
        if (done)
            kf_info ("%s: arrears of %u: %d overdue notice%s looked at", e->estate->id, today, done, done == 1 ? "" : "s");
        return kf_txn_ok (txn) ? done : -1;
    }
    return 0;
}

//  ---- after a restore -------------------------------------------------------------------------

int
billing_restored (billing_t *self, kf_txn_t *txn, const Kf__RestoreMarker *marker, const char *stream,
                  uint64_t restored_head, uint64_t seen_head)
{
    assert (self && txn && marker && stream);
    const char *slash = strrchr (stream, '/');
    if (!slash || seen_head <= restored_head || !kf_config_valid_id (slash + 1))
        return 0;
    s_tables (self, txn);
    kf_key_t key;
    kf_key_make (&key, "s|s", "receipts", slash + 1);
    kf_txn_add (txn, self->counters, &key, (int64_t) (seen_head - restored_head));
    kf_warning ("%s: receipts of %s skip %llu numbers (what the lost events may have used)", stream, slash + 1,
                (unsigned long long) (seen_head - restored_head));
    return kf_txn_ok (txn) ? 0 : -1;
}

//  "E001-R00000012" -> 12; 0 when it is not a receipt number.
static uint64_t
s_receipt_seq (const char *receipt_no)
{
    const char *r = receipt_no ? strrchr (receipt_no, 'R') : NULL;
    char *end = NULL;
    uint64_t n = r && r > receipt_no && r [-1] == '-' ? strtoull (r + 1, &end, 10) : 0;
    return end && *end == 0 ? n : 0;
}

//  A receipt number taken: the estate's counter goes at least that far.
static void
s_receipt_taken (billing_t *self, kf_txn_t *txn, const char *estate, const char *receipt_no)
{
    uint64_t n = s_receipt_seq (receipt_no);
    kf_key_t key;
    kf_key_make (&key, "s|s", "receipts", estate);
    uint64_t have = kf_txn_counter (txn, self->counters, &key);
    if (n > have)
        kf_txn_add (txn, self->counters, &key, (int64_t) (n - have));
}

//  The notice an event of ours names, or NULL (said).
static Kf__Invoice *
s_recover_invoice (billing_t *self, kf_txn_t *txn, const Kf__Envelope *event, const char *invoice_no)
{
    char estate [KF_ID_MAX + 1], unit [S_UNIT_MAX + 1];
    uint32_t period;
    Kf__Invoice *invoice = invoice_no && s_invoice_no_parse (invoice_no, estate, &period, unit)
                         ? s_invoice_get (self, txn, estate, period, unit, self->scratch) : NULL;
    if (!invoice && kf_txn_ok (txn))
        kf_warning ("%s %llu: notice %s is neither in the backup nor taken back before it", event->stream,
                    (unsigned long long) event->seq, invoice_no ? invoice_no : "(none)");
    return invoice;
}

int
billing_recover (billing_t *self, kf_txn_t *txn, const Kf__Envelope *event)
{
    assert (self && txn && event);
    s_tables (self, txn);
    kf_arena_reset (self->scratch);
    kf_arena_t *arena = self->scratch;
    const char *estate = event->estate;
    int64_t at = event->occurred_at_ms;
    if (!estate)
        return 0;
    kf_key_t key;
    switch (event->body_case) {
        case KF__ENVELOPE__BODY_UNIT_REGISTERED: {
            //  The unit as imported; its money is what the statement says.
            Kf__Unit unit = *event->unit_registered->unit;
            Kf__Unit *known = s_unit_get (self, txn, estate, unit.unit, arena);
            unit.estate = (char *) estate;
            if (known) {
                S_SET (&unit, credit_fen, known->credit_fen);
                S_SET (&unit, balance_fen, known->balance_fen);
            }
            else {
                kf_key_make (&key, "s|s", "units", estate);   //  the estate's unit count, as an import keeps it
                kf_txn_next (txn, self->counters, &key);
            }
            s_unit_put (self, txn, &unit);
            break;
        }
        case KF__ENVELOPE__BODY_INVOICE_CHARGE_ADDED: {
            Kf__InvoiceChargeAdded *charge = event->invoice_charge_added;
            Kf__ChargeRecord record = KF__CHARGE_RECORD__INIT;
            record.charge = charge;
            record.estate = (char *) estate;
            S_SET (&record, at_ms, at);
            kf_key_make (&key, "s|s", estate, charge->charge_id);
            kf_txn_put_msg (txn, self->charges, &key, &record.base);
            kf_key_make (&key, "s|s|s", estate, charge->unit, charge->charge_id);
            kf_txn_put (txn, self->pending, &key, "", 0);
            break;
        }
        case KF__ENVELOPE__BODY_INVOICE_ISSUED: {
            Kf__InvoiceIssued *issued = event->invoice_issued;
            Kf__Unit *unit = s_unit_get (self, txn, estate, issued->unit, arena);
            if (!unit)
                return kf_txn_ok (txn) ? kf_txn_fail (txn, "%s: notice %s of unit %s, which is not there",
                                                      event->stream, issued->invoice_no, issued->unit) : -1;
            //  The paid services it charged are charged.
            for (size_t i = 0; i < issued->n_lines; i++) {
                const char *reference = issued->lines [i]->reference;
                if (!reference)
                    continue;
                kf_key_make (&key, "s|s", estate, reference);
                Kf__ChargeRecord *c = (Kf__ChargeRecord *) kf_txn_find_msg_in (txn, self->charges, &key,
                                                                               &kf__charge_record__descriptor, arena);
                if (c) {
                    c->invoice_no = issued->invoice_no;
                    kf_txn_put_msg (txn, self->charges, &key, &c->base);
                }
                kf_key_make (&key, "s|s|s", estate, issued->unit, reference);
                kf_txn_del (txn, self->pending, &key);
            }
            s_invoice_book (self, txn, at, unit, issued, false);
            break;
        }
        case KF__ENVELOPE__BODY_INVOICE_SETTLED: {
            Kf__Invoice *invoice = s_recover_invoice (self, txn, event, event->invoice_settled->invoice_no);
            if (invoice) {
                S_SET (invoice, settled_at_ms, at);
                s_invoice_put (self, txn, invoice);
            }
            break;
        }
        case KF__ENVELOPE__BODY_INVOICE_LATE_FEE: {
            const Kf__InvoiceLateFee *late = event->invoice_late_fee;
            Kf__Invoice *invoice = s_recover_invoice (self, txn, event, late->invoice_no);
            if (invoice) {
                //  The unrounded accrual is not in the event: it goes on
                //  from the fee in fen, as for a notice from before it was kept.
                invoice->has_late_fee_exact = 0;
                S_SET (invoice, late_fee_days, late->days_overdue);
                s_late_fee_book (self, txn, at, invoice, late->amount_fen, late->total_late_fee_fen,
                                 late->days_overdue, arena);
                s_invoice_put (self, txn, invoice);
            }
            break;
        }
        case KF__ENVELOPE__BODY_REMINDER_SENT: {
            const Kf__ReminderSent *reminder = event->reminder_sent;
            Kf__Invoice *invoice = s_recover_invoice (self, txn, event, reminder->invoice_no);
            if (invoice) {
                S_SET (invoice, reminder_step, reminder->days_overdue);
                s_keep_reminder (txn, invoice, at, reminder->days_overdue, arena);
                s_invoice_put (self, txn, invoice);
            }
            break;
        }
        case KF__ENVELOPE__BODY_PAYMENT_RECEIVED: {
            Kf__PaymentReceived *p = event->payment_received;
            Kf__Unit *unit = s_unit_get (self, txn, estate, p->unit, arena);
            Kf__PaymentRecord *record = (Kf__PaymentRecord *) kf_arena_message (arena, &kf__payment_record__descriptor);
            if (!unit || !record)
                return kf_txn_ok (txn) ? kf_txn_fail (txn, "%s: payment %s of unit %s, which is not there",
                                                      event->stream, p->payment_ref, p->unit) : -1;
            for (size_t i = 0; i < p->n_allocations; i++) {
                Kf__Invoice *invoice = s_recover_invoice (self, txn, event, p->allocations [i]->invoice_no);
                if (invoice) {
                    S_SET (invoice, paid_fen, invoice->paid_fen + p->allocations [i]->amount_fen);
                    s_invoice_put (self, txn, invoice);
                }
            }
            //  The request as the cashier's client sent it: a retry finds the payment.
            Kf__Pay q = KF__PAY__INIT;
            q.estate = (char *) estate;
            q.unit = p->unit;
            q.amount_fen = p->amount_fen;
            q.has_amount_fen = 1;
            q.payment_ref = p->payment_ref;
            q.method = p->method;
            s_payment_book (self, txn, at, estate, unit, p, kf_codec_digest (&q.base), record);
            s_receipt_taken (self, txn, estate, p->receipt_no);
            break;
        }
        case KF__ENVELOPE__BODY_PAYMENT_REFUNDED: {
            Kf__PaymentRefunded *r = event->payment_refunded;
            kf_key_make (&key, "s|s", estate, r->payment_ref);
            Kf__PaymentRecord *record = (Kf__PaymentRecord *) kf_txn_find_msg_in (txn, self->payments, &key,
                                                                    &kf__payment_record__descriptor, arena);
            Kf__Unit *unit = record ? s_unit_get (self, txn, estate, record->payment->unit, arena) : NULL;
            if (!record || !unit)
                return kf_txn_ok (txn) ? kf_txn_fail (txn, "%s: refund %s of payment %s, which is not there",
                                                      event->stream, r->refund_ref, r->payment_ref) : -1;
            if (s_refund_reverse (self, txn, estate, record, unit, r->amount_fen, arena) < 0)
                return -1;
            s_refund_book (self, txn, at, estate, unit, record, r);
            s_receipt_taken (self, txn, estate, r->receipt_no);
            break;
        }
        default:
            break;
    }
    //  A charge's cause (order.completed) is kept by its charge record.
    return kf_txn_ok (txn) ? 0 : -1;
}
