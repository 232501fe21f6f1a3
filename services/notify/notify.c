/*  notify — set-up: each estate's rules and each kind's templates, checked
    against the event's body when loaded; the requests' dispatch; and the
    events in. See notify.h; the other parts are named in notify_private.h.
*/
#include "notify_private.h"

//  ---- the kinds ---------------------------------------------------------------------

//  The built-in texts: the configuration replaces any of them, per estate.
//  Placeholders name fields of the event's body (kf_template).
const notify_kind_t notify_kinds [] = {
    { "order.assigned", KF__ENVELOPE__BODY_ORDER_ASSIGNED, NOTIFY_TO_STAFF, false,
      "工单 {order_no}（案件 {ticket_no}）已派给您，请尽快接单。",
      "Work order {order_no} (case {ticket_no}) is assigned to you; please accept it.",
      "新工单 {order_no}", "New work order {order_no}" },
    { "escalation.raised", KF__ENVELOPE__BODY_ESCALATION_RAISED, NOTIFY_TO_STAFF, true,
      "升级（{level}）：{ticket_no}{deadline.what}，{reason}。请立即处理。",
      "Escalated ({level}): {ticket_no}{deadline.what}, {reason}. Please act now.",
      "升级：{ticket_no}{deadline.subject}", "Escalation: {ticket_no}{deadline.subject}" },
    { "sla.warning", KF__ENVELOPE__BODY_SLA_WARNING, NOTIFY_TO_STAFF, false,
      "时限预警：{ticket_no}{deadline.what} 的 {target} 将于 {deadline_ms} 到期。",
      "Deadline warning: {ticket_no}{deadline.what}, {target} due at {deadline_ms}.",
      "时限预警 {ticket_no}{deadline.subject}", "Deadline warning {ticket_no}{deadline.subject}" },
    { "invoice.issued", KF__ENVELOPE__BODY_INVOICE_ISSUED, NOTIFY_TO_RESIDENTS, false,
      "缴费通知：{unit} {period} 期物业费 {total_fen}（{invoice_no}），请于 {due_at_ms} 前缴纳。",
      "Payment notice {invoice_no} for {unit}, period {period}: {total_fen}, due by {due_at_ms}.",
      "缴费通知 {invoice_no}", "Payment notice {invoice_no}" },
    { "reminder.sent", KF__ENVELOPE__BODY_REMINDER_SENT, NOTIFY_TO_RESIDENTS, false,
      "催费通知：{unit} 的缴费通知 {invoice_no} 已逾期 {days_overdue} 天，尚欠 {outstanding_fen}，请尽快缴纳。",
      "Reminder: notice {invoice_no} for {unit} is {days_overdue} days overdue; {outstanding_fen} is owed.",
      "催费通知 {invoice_no}", "Payment reminder {invoice_no}" },
    { "visit.scheduled", KF__ENVELOPE__BODY_VISIT_SCHEDULED, NOTIFY_TO_RESIDENTS, false,
      "您的案件 {ticket_no} 已处理完毕，我们将于 {due_at_ms} 前回访，请留意来电。",
      "Your case {ticket_no} is done; we will call you by {due_at_ms} to ask how it went.",
      "回访预约 {ticket_no}", "Return visit for {ticket_no}" },
    { "ticket.closed", KF__ENVELOPE__BODY_TICKET_CLOSED, NOTIFY_TO_RESIDENTS, false,
      "您反映的案件 {ticket_no} 已办结：{resolution}",
      "Your case {ticket_no} is closed: {resolution}",
      "案件办结 {ticket_no}", "Case {ticket_no} closed" },
    { "desk.loan_overdue", KF__ENVELOPE__BODY_DESK_LOAN_OVERDUE, NOTIFY_TO_RESIDENTS, false,
      "前台提醒：{loan.tag} 应于 {loan.due_ms} 归还，请尽快送回。",
      "Front desk: {loan.tag} was due back at {loan.due_ms}; please bring it back.",
      "归还提醒 {loan.tag}", "Please return {loan.tag}" },
    { "violation.recorded", KF__ENVELOPE__BODY_VIOLATION_RECORDED, NOTIFY_TO_RESIDENTS, false,
      "整改通知：{violation.unit} {violation.category}（{violation.description}），请于 {violation.rectify_by_ms} 前整改。",
      "Rectification notice for {violation.unit}: {violation.category} ({violation.description}), "
      "by {violation.rectify_by_ms}.",
      "整改通知 {violation.violation_id}", "Rectification notice {violation.violation_id}" },
    { "violation.overdue", KF__ENVELOPE__BODY_VIOLATION_OVERDUE, NOTIFY_TO_RESIDENTS, false,
      "整改逾期：{violation.unit} {violation.category} 的整改期限 {violation.rectify_by_ms} 已过，请尽快整改。",
      "Overdue: {violation.unit}, {violation.category}, was to be put right by {violation.rectify_by_ms}.",
      "整改逾期 {violation.violation_id}", "Rectification overdue {violation.violation_id}" },
};
const size_t notify_kind_count = sizeof notify_kinds / sizeof notify_kinds [0];

static const notify_kind_t *
s_kind_of (Kf__Envelope__BodyCase body)
{
    for (size_t k = 0; k < notify_kind_count; k++)
        if (notify_kinds [k].body == body)
            return &notify_kinds [k];
    return NULL;
}

const notify_kind_t *
notify_kind_named (const char *name)
{
    for (size_t k = 0; name && k < notify_kind_count; k++)
        if (strcmp (notify_kinds [k].kind, name) == 0)
            return &notify_kinds [k];
    return NULL;
}

//  The message type of a kind's body, from the envelope's descriptor.
static const ProtobufCMessageDescriptor *
s_body_descriptor (Kf__Envelope__BodyCase body)
{
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&kf__envelope__descriptor, (unsigned) body);
    assert (f && f->type == PROTOBUF_C_TYPE_MESSAGE);
    return f->descriptor;
}

//  ---- set-up ------------------------------------------------------------------------

notify_language_t
notify_language_of (const notify_estate_t *estate, const char *language)
{
    if (language && strcmp (language, "en") == 0)
        return NOTIFY_EN;
    if (language && strcmp (language, "zh") == 0)
        return NOTIFY_ZH;
    return estate->language;
}

static const char *
s_rule (kf_config_t *config, const char *estate, const char *key, char *path, size_t size)
{
    return kf_config_str (config, kf_config_rule (config, estate, key, path, size));
}

//  "21:00-08:00" (may wrap midnight), or "none".
static int
s_quiet_parse (const char *text, int *from, int *to, kf_err_t *err)
{
    *from = *to = 0;
    if (!text || strcmp (text, "none") == 0)
        return 0;
    const char *p = text;
    if (kf_hhmm_parse (&p, from) || *p++ != '-' || kf_hhmm_parse (&p, to) || *p)
        return kf_err_set (err, "expected HH:MM-HH:MM (e.g. 21:00-08:00) or none, not '%s'", text);
    return 0;
}

//  One template, or NULL text → no template (and no error).
static int
s_template (const char *text, const ProtobufCMessageDescriptor *d, kf_template_t **out, const char *key,
            kf_err_t *err)
{
    if (!text)
        return 0;
    *out = kf_template_new (text, d, err);
    if (!*out)
        return kf_err_prefix (err, "%s", key), -1;
    return 0;
}

//  "{a} | {b} | c": each part a template.
static int
s_params (const char *text, const ProtobufCMessageDescriptor *d, kf_template_t **params, size_t *count,
          const char *key, kf_err_t *err)
{
    *count = 0;
    if (!text)
        return 0;
    char buf [1024];
    if (strlen (text) >= sizeof buf)
        return kf_err_set (err, "%s: longer than %zu bytes", key, sizeof buf - 1);
    snprintf (buf, sizeof buf, "%s", text);
    //  Positional: an empty part is a parameter too ("a||b" is three).
    char *rest = buf;
    for (char *part = strsep (&rest, "|"); part; part = strsep (&rest, "|")) {
        while (*part == ' ')
            part++;
        size_t n = strlen (part);
        while (n && part [n - 1] == ' ')
            part [--n] = 0;
        if (*count == NOTIFY_PARAMS_MAX)
            return kf_err_set (err, "%s: at most %d parameters", key, NOTIFY_PARAMS_MAX);
        if (s_template (part, d, &params [(*count)++], key, err))
            return -1;
    }
    return 0;
}

//  A kind's section under notify/templates: its name with '_' for '.'
//  (configuration names are identifiers): ticket.closed is ticket_closed.
static const char *
s_section (const char *kind, char *buf, size_t size)
{
    snprintf (buf, size, "%s", kind);
    for (char *c = buf; *c; c++)
        if (*c == '.')
            *c = '_';
    return buf;
}

static int
s_messages_load (notify_t *self, const char *estate, const notify_kind_t *kind, notify_messages_t *m,
                 kf_err_t *err)
{
    kf_config_t *config = self->base.config;
    const ProtobufCMessageDescriptor *d = s_body_descriptor (kind->body);
    char key [160], path [200], section [64];
    s_section (kind->kind, section, sizeof section);
#define S_KEY(name) (snprintf (key, sizeof key, "notify/templates/%s/" name, section), key)
    const char *off = s_rule (config, estate, S_KEY ("off"), path, sizeof path);
    m->off = off && strcmp (off, "true") == 0;
    struct { const char *name, *fallback; kf_template_t **out; } texts [] = {
        { "zh", kind->zh, &m->text [NOTIFY_ZH] }, { "en", kind->en, &m->text [NOTIFY_EN] },
        { "subject_zh", kind->subject_zh, &m->subject [NOTIFY_ZH] },
        { "subject_en", kind->subject_en, &m->subject [NOTIFY_EN] },
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts [0]; t++) {
        snprintf (key, sizeof key, "notify/templates/%s/%s", section, texts [t].name);
        const char *value = s_rule (config, estate, key, path, sizeof path);
        if (s_template (value ? value : texts [t].fallback, d, texts [t].out, value ? path : kind->kind, err))
            return -1;
    }
    m->sms_template = s_rule (config, estate, S_KEY ("sms_template"), path, sizeof path);
    if (s_params (s_rule (config, estate, S_KEY ("sms_params"), path, sizeof path), d, m->sms_params,
                  &m->sms_param_count, path, err))
        return -1;
    m->wechat_template = s_rule (config, estate, S_KEY ("wechat_template"), path, sizeof path);
    if (s_params (s_rule (config, estate, S_KEY ("wechat_params"), path, sizeof path), d, m->wechat_params,
                  &m->wechat_param_count, path, err))
        return -1;
#undef S_KEY
    return 0;
}

static void
s_messages_free (notify_messages_t *m)
{
    for (int l = 0; l < NOTIFY_LANGUAGES; l++) {
        kf_template_destroy (&m->text [l]);
        kf_template_destroy (&m->subject [l]);
    }
    for (size_t p = 0; p < NOTIFY_PARAMS_MAX; p++) {
        kf_template_destroy (&m->sms_params [p]);
        kf_template_destroy (&m->wechat_params [p]);
    }
}

//  A kind named under notify/templates that kefu-notify does not know is a
//  typing mistake the operator should hear of at start.
static int
s_known_kind (const char *name, void *arg)
{
    kf_err_t *err = arg;
    char section [64];
    for (size_t k = 0; k < notify_kind_count; k++)
        if (strcmp (s_section (notify_kinds [k].kind, section, sizeof section), name) == 0)
            return 0;
    return kf_err_set (err, "notify/templates/%s: kefu-notify tells people of no such kind "
                       "(a kind's section is its name with _ for ., as ticket_closed)", name);
}

static int
s_estate_load (notify_t *self, notify_estate_t *e, kf_err_t *err)
{
    kf_config_t *config = self->base.config;
    const char *id = e->estate->id;
    char path [160];
    const char *language = s_rule (config, id, "notify/language", path, sizeof path);
    if (language && strcmp (language, "zh") != 0 && strcmp (language, "en") != 0)
        return kf_err_set (err, "%s: expected zh or en, not '%s'", path, language);
    e->language = language && strcmp (language, "en") == 0 ? NOTIFY_EN : NOTIFY_ZH;
    if (s_quiet_parse (s_rule (config, id, "notify/quiet_hours", path, sizeof path), &e->quiet_from_min,
                       &e->quiet_to_min, err))
        return kf_err_prefix (err, "%s", path), -1;
    e->rate_per_hour = kf_config_int (config, kf_config_rule (config, id, "notify/rate_per_hour", path, sizeof path));
    snprintf (path, sizeof path, "estates/%s/notify/templates", id);
    if (kf_config_each (config, path, s_known_kind, err))
        return -1;
    //  An estate with no templates of its own has the group's: parsed
    //  once, not once an estate (a thousand estates' copies were most of
    //  kefu-notify's memory).
    bool own = kf_config_has (config, path);
    if (!own && self->group) {
        e->messages = self->group;
        e->shared = true;
        return 0;
    }
    e->messages = calloc (notify_kind_count, sizeof *e->messages);
    if (!e->messages)
        return kf_err_set (err, "out of memory");
    for (size_t k = 0; k < notify_kind_count; k++)
        if (s_messages_load (self, id, &notify_kinds [k], &e->messages [k], err))
            return kf_err_prefix (err, "estate %s", id), -1;
    if (!own) {
        self->group = e->messages;
        e->shared = true;
    }
    return 0;
}

notify_t *
notify_new (kf_config_t *config, kf_err_t *err)
{
    assert (config);
    notify_t *self = calloc (1, sizeof *self);
    if (!self) {
        kf_err_set (err, "out of memory");
        return NULL;
    }
    self->estates = kf_domain_init (&self->base, config, sizeof *self->estates, err);
    if (!self->estates || notify_channels_load (&self->channels, config, err)
    ||  kf_config_each (config, "notify/templates", s_known_kind, err)) {
        notify_destroy (&self);
        return NULL;
    }
    self->retry_first_ms = kf_config_duration_ms (config, "notify/retry_first");
    self->retry_for_ms = kf_config_duration_ms (config, "notify/retry_for");
    const char *staff = kf_config_str (config, "notify/staff_channels");
    char buf [64];
    snprintf (buf, sizeof buf, "%s", staff ? staff : "webhook");
    char *save = NULL;
    for (char *c = strtok_r (buf, ", ", &save); c; c = strtok_r (NULL, ", ", &save))
        if (strcmp (c, "webhook") == 0)
            self->staff_webhook = true;
        else
        if (strcmp (c, "email") == 0)
            self->staff_email = true;
        else {
            kf_err_set (err, "notify/staff_channels: expected webhook, email or both, not '%s'", c);
            notify_destroy (&self);
            return NULL;
        }
    for (size_t i = 0; i < self->base.estate_count; i++) {
        self->estates [i].estate = kf_config_estate (config, i);
        if (s_estate_load (self, &self->estates [i], err)) {
            notify_destroy (&self);
            return NULL;
        }
    }
    return self;
}

void
notify_destroy (notify_t **self_p)
{
    assert (self_p);
    notify_t *self = *self_p;
    if (self) {
        for (size_t i = 0; self->estates && i < self->base.estate_count; i++) {
            if (self->estates [i].shared)
                continue;
            for (size_t k = 0; self->estates [i].messages && k < notify_kind_count; k++)
                s_messages_free (&self->estates [i].messages [k]);
            free (self->estates [i].messages);
        }
        for (size_t k = 0; self->group && k < notify_kind_count; k++)
            s_messages_free (&self->group [k]);
        free (self->group);
        kf_domain_fini (&self->base);
        free (self);
        *self_p = NULL;
    }
}

void
notify_set_outbox (notify_t *self, kf_outbox_t *outbox)
{
    assert (self && outbox);
    self->base.outbox = outbox;
}

const notify_channels_t *
notify_channels (const notify_t *self)
{
    assert (self);
    return &self->channels;
}

void
notify_tables (notify_t *self, kf_txn_t *txn)
{
    static const char *const names [] = { NOTIFY_OWN_TABLES, NULL };
    kf_table_t *const tables [] = { &self->staff, &self->households, &self->cases, &self->deliveries, &self->queue,
                                    &self->by_estate, &self->alarms, &self->rates, &self->in_flight };
    kf_domain_tables (&self->base, txn, names, tables);
}

const notify_estate_t *
notify_estate (const notify_t *self, const char *id)
{
    return kf_domain_estate (&self->base, id);
}

//  ---- requests and events -----------------------------------------------------------

int
notify_handle_request (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Request *request,
                       Kf__Reply *reply, kf_arena_t *arena)
{
    assert (self && txn && request && reply && arena);
    notify_tables (self, txn);
    switch (request->command_case) {
        case KF__REQUEST__COMMAND_LIST_DELIVERIES:
            return notify_list (self, txn, request, reply, arena);
        case KF__REQUEST__COMMAND_RETRY_DELIVERY:
            return notify_resolve (self, txn, now_ms, request, true, reply, arena);
        case KF__REQUEST__COMMAND_DISMISS_DELIVERY:
            return notify_resolve (self, txn, now_ms, request, false, reply, arena);
        case KF__REQUEST__COMMAND_TEST_NOTIFICATION:
            return notify_test (self, txn, now_ms, request, reply, arena);
        case KF__REQUEST__COMMAND_SEND_CODE:
            return notify_send_code (self, txn, now_ms, request, reply, arena);
        default:
            return KF_BAD ("kefu-notify does not answer this command");
    }
}

int
notify_apply_event (notify_t *self, kf_txn_t *txn, int64_t now_ms, const Kf__Envelope *event)
{
    assert (self && txn && event);
    notify_tables (self, txn);
    kf_arena_reset (self->base.scratch);
    if (!event->estate || !notify_estate (self, event->estate) || !event->event_id)
        return 0;   //  not an estate this configuration knows
    //  A case's own events are both followed (its handler) and told of.
    if (notify_people_follow (self, txn, event) < 0)
        return -1;
    const notify_kind_t *kind = s_kind_of (event->body_case);
    if (!kind)
        return 0;
    const ProtobufCFieldDescriptor *f =
        protobuf_c_message_descriptor_get_field (&kf__envelope__descriptor, (unsigned) event->body_case);
    const ProtobufCMessage *body = *(ProtobufCMessage *const *) ((const char *) event + f->offset);
    if (!body)
        return 0;
    const notify_estate_t *e = notify_estate (self, event->estate);
    if (e->messages [kind - notify_kinds].off)
        return 0;
    return notify_people_tell (self, txn, now_ms, event, kind, body);
}
