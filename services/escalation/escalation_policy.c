/*  escalation_policy — which policy (emergency, rectification, hotline,
    renovation, complaint, repair, default) and which limit apply to a
    case's target. See escalation_private.h.
*/
#include "escalation_private.h"

//  ---- from the configuration --------------------------------------------------------

static const char *
s_policy_value (kf_config_t *config, const char *estate, const char *policy, const char *key)
{
    char rule [128], path [160];
    snprintf (rule, sizeof rule, "sla/%s/%s", policy, key);
    return kf_config_str (config, kf_config_rule (config, estate, rule, path, sizeof path));
}

static int
s_keep_term (const char *field, int value, void *arg)
{
    escalation_policy_t *p = arg;
    struct { const char *name; bool *set; int size; } fields [] = {
        { "type", p->type, S_TYPES }, { "channel", p->channel, S_CHANNELS },
        { "category", p->category, S_CATEGORIES }, { "hazard", p->hazard, S_HAZARDS },
        { "priority", p->priority, S_PRIORITIES },
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields [0]; i++)
        if (strcmp (field, fields [i].name) == 0) {
            if (value <= 0 || value >= fields [i].size)
                return -1;
            fields [i].set [value] = true;
            return 0;
        }
    return -1;
}

int
escalation_build_policy (escalation_policy_t *p, int index, kf_config_t *config, const char *estate, kf_err_t *err)
{
    const char *name = escalation_policy_names [index];
    p->index = index;
    p->working = strcmp (s_policy_value (config, estate, name, "hours"), "working") == 0;
    const char *value = s_policy_value (config, estate, name, "match");
    if (index != S_POLICY_DEFAULT && kf_config_terms (value, s_keep_term, p, err))
        return kf_err_prefix (err, "estates/%s/sla/%s/match: ", estate, name);
    value = s_policy_value (config, estate, name, "pause_for");
    if (strcmp (value, "none") != 0) {
        int reasons [S_PAUSES];
        int n = kf_config_enum_list (value, &kf__pause_reason__descriptor, reasons, S_PAUSES, err);
        if (n < 0)
            return kf_err_prefix (err, "estates/%s/sla/%s/pause_for: ", estate, name);
        for (int i = 0; i < n; i++)
            if (reasons [i] > 0 && reasons [i] < S_PAUSES)
                p->pause_for [reasons [i]] = true;
    }
    for (int t = 0; t < S_TARGETS; t++)
        if (kf_sla_limit_parse (s_policy_value (config, estate, name, escalation_target_keys [t]), &p->limit [t], err))
            return kf_err_prefix (err, "estates/%s/sla/%s/%s: ", estate, name, escalation_target_keys [t]);
    if (kf_sla_limit_parse (s_policy_value (config, estate, name, "transferred"), &p->transferred, err))
        return kf_err_prefix (err, "estates/%s/sla/%s/transferred: ", estate, name);
    return 0;
}

//  ---- policies -------------------------------------------------------------------

bool
escalation_in (const bool *set, int size, int value)
{
    return value > 0 && value < size && set [value];
}

static bool
s_applies (const escalation_policy_t *p, const Kf__SlaCase *c)
{
    if (p->index == S_POLICY_DEFAULT)
        return true;
    if (p->index == S_POLICY_RECTIFICATION && c->rectification_at_ms > 0)
        return true;
    if (escalation_in (p->type, S_TYPES, c->type) || escalation_in (p->channel, S_CHANNELS, c->channel)
    ||  escalation_in (p->category, S_CATEGORIES, c->category) || escalation_in (p->priority, S_PRIORITIES,
                                                                                 c->priority))
        return true;
    for (size_t i = 0; i < c->n_hazards; i++)
        if (escalation_in (p->hazard, S_HAZARDS, c->hazards [i]))
            return true;
    return false;
}

//  The policy that sets this target for the case, and its limit; NULL when
//  none does (the case has no such target).
const escalation_policy_t *
escalation_policy_for (const escalation_estate_t *e, const Kf__SlaCase *c, int target, kf_sla_limit_t *limit)
{
    for (int i = 0; i < S_POLICIES; i++) {
        const escalation_policy_t *p = &e->policies [i];
        if (!s_applies (p, c))
            continue;
        *limit = p->limit [target];
        if (target == S_RESOLUTION && c->transferred && p->transferred.kind != KF_SLA_NONE)
            *limit = p->transferred;
        if (limit->kind != KF_SLA_NONE)
            return p;
    }
    return NULL;
}

const escalation_policy_t *
escalation_policy_named (const escalation_estate_t *e, const char *name)
{
    for (int i = 0; name && i < S_POLICIES; i++)
        if (strcmp (escalation_policy_names [i], name) == 0)
            return &e->policies [i];
    return NULL;
}
