/*  dispatch_routing — which department a case goes to: the estate's
    routing rules, else the group's, by hazard, type and category. See
    dispatch_private.h.
*/
#include "dispatch_private.h"

//  ---- set-up: routing ----------------------------------------------------------

typedef struct {
    dispatch_estate_t *estate;
    Kf__Department department;
    bool estate_pass;            //  the estate's own rules, which win
    bool from_estate_hazard [S_HAZARDS], from_estate_type [S_TYPES], from_estate_category [S_CATEGORIES];
    char reason [160];
} s_routing_t;

static int
s_route_term (const char *field, int value, void *arg)
{
    s_routing_t *r = arg;
    //  Each field its table, its estate marks and its values.
    struct {
        const char *name;
        Kf__Department *slots;
        bool *from_estate;
        int size;
        const ProtobufCEnumDescriptor *descriptor;
    } fields [] = {
        { "hazard", r->estate->by_hazard, r->from_estate_hazard, S_HAZARDS, &kf__hazard__descriptor },
        { "type", r->estate->by_type, r->from_estate_type, S_TYPES, &kf__ticket_type__descriptor },
        { "category", r->estate->by_category, r->from_estate_category, S_CATEGORIES, &kf__category__descriptor },
    };
    size_t f = 0;
    while (f < sizeof fields / sizeof fields [0] && strcmp (field, fields [f].name) != 0)
        f++;
    if (f == sizeof fields / sizeof fields [0]) {
        snprintf (r->reason, sizeof r->reason, "routing names hazards, types and categories only, not %s:", field);
        return -1;
    }
    if (value <= 0 || value >= fields [f].size)
        return -1;
    Kf__Department *slot = &fields [f].slots [value];
    bool *from_estate = &fields [f].from_estate [value];
    if (!r->estate_pass && *from_estate)
        return 0;
    if (*slot && *slot != r->department) {
        char name [48];
        kf_enum_short_name (fields [f].descriptor, value, name, sizeof name);
        snprintf (r->reason, sizeof r->reason, "%s:%s is routed to both %s and %s", field, name,
                  dispatch_department_keys [*slot], dispatch_department_keys [r->department]);
        return -1;
    }
    *slot = r->department;
    *from_estate = r->estate_pass;
    return 0;
}

int
dispatch_build_routing (dispatch_estate_t *estate, kf_config_t *config, kf_err_t *err)
{
    s_routing_t r = { .estate = estate };
    for (int pass = 0; pass < 2; pass++) {
        r.estate_pass = pass == 0;
        for (int d = 1; d < S_DEPARTMENTS; d++) {
            //  The estate's own rules first, then the group's for the
            //  departments the estate did not replace.
            char rule [64], path [128];
            snprintf (rule, sizeof rule, "routing/%s", dispatch_department_keys [d]);
            kf_config_rule (config, estate->estate->id, rule, path, sizeof path);
            bool own = strncmp (path, "estates/", 8) == 0;
            if (own != r.estate_pass)
                continue;
            const char *terms = kf_config_str (config, path);
            if (!terms)
                continue;
            r.department = d;
            r.reason [0] = 0;
            if (kf_config_terms (terms, s_route_term, &r, err)) {
                if (r.reason [0])
                    kf_err_set (err, "%s", r.reason);
                return kf_err_prefix (err, "%s: ", path);
            }
        }
    }
    return 0;
}




const dispatch_estate_t *
dispatch_estate (dispatch_t *self, const char *id)
{
    return kf_domain_estate (&self->base, id);
}

Kf__Department
dispatch_route (dispatch_t *self, const char *estate, Kf__TicketType type, Kf__Category category,
                const Kf__Hazard *hazards, size_t hazard_count)
{
    const dispatch_estate_t *e = dispatch_estate (self, estate);
    assert (e);
    //  A hazard first (life safety goes to who can act), in the order ticked.
    for (size_t i = 0; i < hazard_count; i++)
        if (hazards [i] > 0 && hazards [i] < S_HAZARDS && e->by_hazard [hazards [i]])
            return e->by_hazard [hazards [i]];
    if (type > 0 && type < S_TYPES && e->by_type [type])
        return e->by_type [type];
    if (category > 0 && category < S_CATEGORIES && e->by_category [category])
        return e->by_category [category];
    return KF__DEPARTMENT__DEPARTMENT_CUSTOMER_SERVICE;
}

void
dispatch_tables (dispatch_t *self, kf_txn_t *txn)
{
    static const char *const names [] = { DISPATCH_OWN_TABLES, NULL };
    kf_table_t *const tables [] = { &self->orders, &self->by_ticket, &self->by_estate, &self->by_created,
                                    &self->queue, &self->staff, &self->counters, &self->accounts,
                                    &self->plans, &self->rounds, &self->rounds_by_slot, &self->round_timers,
                                    &self->renovations_on };
    kf_domain_tables (&self->base, txn, names, tables);
}
