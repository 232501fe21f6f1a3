/*  bench_registry — the desk's caller lookup in a group's register (issue
    21.2: under 10 ms at 1,000 estates × 2,000 units).

    kefu-registry's domain code over a real store: 2,000,000 units with
    their households (a phone each, a second person in every third), what
    every fourth owes and the cases of every tenth (six each, so the last
    five are a choice), written as the registry keeps what it announced and
    what billing's and intake's events told it. Then 1,000 lookups by a
    random owner's phone and 1,000 by a random unit, each in its own write
    transaction as kf_commands runs a request, as the estate's desk (phones
    whole). Prints the fill, each lookup's p50/p99/max and the store's size;
    never fails.
*/
#include "../unit/kf_test.h"
#include "../../services/registry/registry.h"
#include "bench_common.h"
#include "kf_field.h"

#include <inttypes.h>

#define S_ESTATES   1000
#define S_UNITS     2000          //  of each estate
#define S_BATCH     20000         //  units a fill transaction
#define S_LOOKUPS   1000
#define S_NOW       INT64_C (1794700800000)   //  2026-11-15T00:00Z

typedef struct {
    registry_t *registry;
    kf_arena_t *arena;
    Kf__Request *request;
    Kf__Reply reply;
    int from;                     //  the fill's first unit (of all estates')
} s_bench_t;

static void
s_unit_name (int i, char *unit, size_t size)
{
    int n = i % S_UNITS;
    snprintf (unit, size, "%d-%d-%d%02d", n / 400 + 1, n / 200 % 2 + 1, n / 4 % 50 + 1, n % 4 + 1);
}

static void
s_estate_name (int i, char *estate, size_t size)
{
    snprintf (estate, size, "E%04d", i / S_UNITS + 1);
}

static void
s_phone (int i, int person, char *phone, size_t size)
{
    snprintf (phone, size, "1%d%09d", 3 + person, i);
}

static int
s_fill (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    for (int i = b->from; i < b->from + S_BATCH; i++) {
        char estate [16], unit [32], phones [2][24], ticket [48];
        s_estate_name (i, estate, sizeof estate);
        s_unit_name (i, unit, sizeof unit);
        Kf__Unit u = KF__UNIT__INIT;
        u.unit = unit;
        u.estate = estate;
        KF_SET (&u, area_centi_m2, 8000 + i % 6000);
        KF_SET (&u, occupancy, i % 9 ? KF__OCCUPANCY__OCCUPANCY_OCCUPIED : KF__OCCUPANCY__OCCUPANCY_VACANT);
        u.owner_name = "业主";
        Kf__UnitRegistered ur = KF__UNIT_REGISTERED__INIT;
        ur.unit = &u;
        Kf__Envelope e = KF__ENVELOPE__INIT;
        e.estate = estate;
        e.body_case = KF__ENVELOPE__BODY_UNIT_REGISTERED;
        e.unit_registered = &ur;
        if (registry_recover (b->registry, txn, &e))
            return -1;
        Kf__Person owner = KF__PERSON__INIT, member = KF__PERSON__INIT;
        char *owner_phones [] = { phones [0] }, *member_phones [] = { phones [1] };
        s_phone (i, 0, phones [0], sizeof phones [0]);
        s_phone (i, 1, phones [1], sizeof phones [1]);
        owner.name = "张三";
        KF_SET (&owner, role, KF__PERSON_ROLE__PERSON_ROLE_OWNER);
        owner.phones = owner_phones;
        owner.n_phones = 1;
        member.name = "李四";
        KF_SET (&member, role, KF__PERSON_ROLE__PERSON_ROLE_MEMBER);
        member.phones = member_phones;
        member.n_phones = 1;
        Kf__Person *people [] = { &owner, &member };
        Kf__HouseholdFile h = KF__HOUSEHOLD_FILE__INIT;
        h.estate = estate;
        h.unit = unit;
        h.people = people;
        h.n_people = i % 3 ? 1 : 2;
        Kf__HouseholdRegistered hr = KF__HOUSEHOLD_REGISTERED__INIT;
        hr.household = &h;
        e.body_case = KF__ENVELOPE__BODY_HOUSEHOLD_REGISTERED;
        e.household_registered = &hr;
        if (registry_recover (b->registry, txn, &e))
            return -1;
        if (i % 4 == 0) {
            Kf__InvoiceIssued issued = KF__INVOICE_ISSUED__INIT;
            issued.unit = unit;
            KF_SET (&issued, total_fen, 20000 + i % 10000);
            e.body_case = KF__ENVELOPE__BODY_INVOICE_ISSUED;
            e.invoice_issued = &issued;
            if (registry_apply_event (b->registry, txn, S_NOW, &e))
                return -1;
        }
        for (int c = 0; i % 10 == 0 && c < 6; c++) {
            snprintf (ticket, sizeof ticket, "%s-202611%02d-%04d", estate, c + 1, i % S_UNITS + 1);
            Kf__TicketFiled f = KF__TICKET_FILED__INIT;
            f.ticket_no = ticket;
            f.unit = unit;
            f.description = "卫生间漏水到楼下 water through the ceiling";
            f.reporter_name = "张三";
            KF_SET (&f, type, KF__TICKET_TYPE__TICKET_TYPE_REPAIR);
            e.body_case = KF__ENVELOPE__BODY_TICKET_FILED;
            e.ticket_filed = &f;
            e.occurred_at_ms = S_NOW - (6 - c) * INT64_C (86400000);
            e.has_occurred_at_ms = 1;
            if (registry_apply_event (b->registry, txn, S_NOW, &e))
                return -1;
            e.has_occurred_at_ms = 0;
        }
    }
    return 0;
}

static int
s_request (kf_txn_t *txn, void *arg)
{
    s_bench_t *b = arg;
    kf_arena_reset (b->arena);
    kf__reply__init (&b->reply);
    b->reply.status = KF__REPLY_STATUS__REPLY_STATUS_OK;
    return registry_handle_request (b->registry, txn, S_NOW, b->request, &b->reply, b->arena);
}

static int
s_cmp (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

//  S_LOOKUPS lookups of random units' phones (by_phone) or units.
static int
s_lookups (kf_store_t *store, s_bench_t *b, bool by_phone)
{
    static uint64_t took [S_LOOKUPS];
    uint64_t found = 0;
    for (int n = 0; n < S_LOOKUPS; n++) {
        int i = (int) ((uint64_t) (n + 1) * 2654435761u % (S_ESTATES * S_UNITS));
        char estate [16], unit [32], phone [24];
        s_estate_name (i, estate, sizeof estate);
        s_unit_name (i, unit, sizeof unit);
        s_phone (i, 0, phone, sizeof phone);
        Kf__LookupCaller q = KF__LOOKUP_CALLER__INIT;
        q.estate = by_phone ? NULL : estate;
        q.phone = by_phone ? phone : NULL;
        q.unit = by_phone ? NULL : unit;
        Kf__Request request = KF__REQUEST__INIT;
        request.command_case = KF__REQUEST__COMMAND_LOOKUP_CALLER;
        request.lookup_caller = &q;
        request.scope = estate;
        KF_SET (&request, role, KF__ROLE__ROLE_FRONT_DESK);
        b->request = &request;
        kf_err_t err;
        uint64_t start = bench_now_us ();
        if (kf_store_write (store, s_request, b, &err) || b->reply.status != KF__REPLY_STATUS__REPLY_STATUS_OK) {
            fprintf (stderr, "bench_registry: %s\n", b->reply.error ? b->reply.error : err.text);
            return -1;
        }
        took [n] = bench_now_us () - start;
        found += b->reply.caller_lookup->n_units;
    }
    qsort (took, S_LOOKUPS, sizeof took [0], s_cmp);
    printf ("  lookup by %-5s %d lookups, %" PRIu64 " units found: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
            by_phone ? "phone" : "unit", S_LOOKUPS, found, took [S_LOOKUPS / 2] / 1000.0,
            took [S_LOOKUPS * 99 / 100] / 1000.0, took [S_LOOKUPS - 1] / 1000.0);
    return 0;
}

int
main (void)
{
    size_t size = 128 + (size_t) S_ESTATES * 40;
    char *text = malloc (size);
    size_t used = (size_t) snprintf (text, size, "bus\n    publish = ipc://x/in\n    subscribe = ipc://x/out\nestates\n");
    for (int e = 1; e <= S_ESTATES; e++)
        used += (size_t) snprintf (text + used, size - used, "    E%04d\n        name = estate %d\n", e, e);
    kf_err_t err;
    kf_log_init ("bench_registry", KF_LOG_WARNING);
    kf_config_t *config = kf_config_load_text (text, "bench", &err);
    free (text);
    if (!config || kf_test_dir_setup (NULL)) {
        fprintf (stderr, "bench_registry: %s\n", config ? "no scratch directory" : err.text);
        return 1;
    }
    char path [128];
    snprintf (path, sizeof path, "%s/store", kf_test_dir);
    const char *tables [] = { REGISTRY_TABLES, NULL };
    kf_store_t *store = kf_store_new (path, tables, NULL, &err);
    kf_outbox_t *outbox = store ? kf_outbox_new (store, "registry@c1", &err) : NULL;
    s_bench_t b = { .registry = registry_new (config, &err), .arena = kf_arena_new () };
    if (!outbox || !b.registry) {
        fprintf (stderr, "bench_registry: %s\n", err.text);
        return 1;
    }
    registry_set_outbox (b.registry, outbox);
    printf ("bench_registry: the caller lookup in a register of %d estates × %d units\n", S_ESTATES, S_UNITS);
    uint64_t start = bench_now_us ();
    for (b.from = 0; b.from < S_ESTATES * S_UNITS; b.from += S_BATCH)
        if (kf_store_write (store, s_fill, &b, &err)) {
            fprintf (stderr, "bench_registry: the fill: %s\n", err.text);
            return 1;
        }
    printf ("  fill           %d units, households, balances and cases: %.1f s\n", S_ESTATES * S_UNITS,
            (double) (bench_now_us () - start) / 1e6);
    if (s_lookups (store, &b, true) || s_lookups (store, &b, false))
        return 1;
    printf ("  store %.0f MiB; target: a lookup within 10 ms\n", kf_store_used (store) / 1048576.0);
    registry_destroy (&b.registry);
    kf_arena_destroy (&b.arena);
    kf_outbox_destroy (&outbox);
    kf_store_destroy (&store);
    kf_config_destroy (&config);
    kf_test_remove_tree (kf_test_dir);
    return 0;
}
