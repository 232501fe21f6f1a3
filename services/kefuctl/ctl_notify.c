/*  kefuctl notify — what kefu-notify told whom: log, retry, dismiss, test.  */
#include "ctl.h"
#include "kf_field.h"

typedef struct {
    const char *estate, *status, *ticket, *address, *reason, *channel, *text, *template_id;
    bool alarms, all;
    Kf__PageRequest page;
} s_args_t;

static int
s_option (ctl_t *ctl, int option, const char *value, void *arg)
{
    (void) ctl;
    s_args_t *a = arg;
    switch (option) {
        case 'e': a->estate = value; break;
        case 's': a->status = value; break;
        case 't': a->ticket = value; break;
        case 'a': a->address = value; break;
        case 'r': a->reason = value; break;
        case 'c': a->channel = value; break;
        case 'x': a->text = value; break;
        case 'T': a->template_id = value; break;
        case 'A': a->alarms = true; break;
        case 'L': a->all = true; break;
        case 'z': return ctl_page_size ("notify log", value, &a->page);
    }
    return 0;
}

static const struct option s_spec [] = {
    { "estate", required_argument, NULL, 'e' }, { "status", required_argument, NULL, 's' },
    { "ticket", required_argument, NULL, 't' }, { "address", required_argument, NULL, 'a' },
    { "reason", required_argument, NULL, 'r' }, { "channel", required_argument, NULL, 'c' },
    { "text", required_argument, NULL, 'x' }, { "template", required_argument, NULL, 'T' },
    { "alarms", no_argument, NULL, 'A' }, { "all", no_argument, NULL, 'L' },
    { "page-size", required_argument, NULL, 'z' }, { NULL, 0, NULL, 0 }
};

static const char *
s_endpoint (ctl_t *ctl)
{
    return kf_config_str (ctl->config, "services/notify/endpoint");
}

static const char *
s_channel (Kf__NotifyChannel channel)
{
    return ctl_enum_name (&kf__notify_channel__descriptor, channel);
}

static void
s_print_delivery (ctl_t *ctl, const Kf__Reply *reply)
{
    const Kf__Delivery *d = reply->delivery;
    char at [64];
    printf ("%s  %s, %s to %s (%s), %s%s%s\n", d->id, d->kind, s_channel (d->channel),
            d->recipient && d->recipient->name ? d->recipient->name : "-",
            d->recipient && d->recipient->address ? d->recipient->address : "-",
            ctl_enum_name (&kf__delivery_status__descriptor, d->status), d->reason ? ": " : "",
            d->reason ? d->reason : "");
    if (d->next_at_ms && d->status == KF__DELIVERY_STATUS__DELIVERY_STATUS_PENDING)
        printf ("  next try %s\n", ctl_time (ctl, d->estate, d->next_at_ms, at, sizeof at));
}

static int
s_rows (ctl_t *ctl, const Kf__Reply *reply, ctl_table_t *table, bool all, ctl_page_t *page, void *arg)
{
    uint32_t *alarms = arg;
    if (reply->result_case != KF__REPLY__RESULT_DELIVERIES)
        return -1;
    const Kf__DeliveryList *list = reply->deliveries;
    page->rows = list->n_deliveries;
    page->total = list->total;
    page->next_token = list->next_page_token;
    *alarms = list->alarms;
    if (!table && !all) {
        ctl_print_json (&list->base);
        return 0;
    }
    for (size_t i = 0; i < list->n_deliveries; i++) {
        const Kf__Delivery *d = list->deliveries [i];
        if (!table) {
            ctl_print_json (&d->base);
            continue;
        }
        char made [64], sent [64], tries [16], to [200], why [120];
        snprintf (tries, sizeof tries, "%u", d->attempts);
        snprintf (to, sizeof to, "%s %s", d->recipient && d->recipient->name ? d->recipient->name : "-",
                  d->recipient && d->recipient->address ? d->recipient->address : "-");
        ctl_table_row (table, d->id, ctl_time (ctl, d->estate, d->created_at_ms, made, sizeof made), d->kind,
                       s_channel (d->channel), to, ctl_enum_name (&kf__delivery_status__descriptor, d->status), tries,
                       d->sent_at_ms ? ctl_time (ctl, d->estate, d->sent_at_ms, sent, sizeof sent) : NULL,
                       d->ticket_no, d->reason ? ctl_cut (d->reason, 60, why, sizeof why) : NULL);
    }
    return 0;
}

static int s_notify (ctl_t *ctl, int argc, char **argv);

const ctl_command_t ctl_notify_command = {
    "notify", "messages to people (kefu-notify): log, retry, dismiss, test",
    "notify log --estate E [--status S] [--ticket T] [--address A] [--alarms] [--all]\n"
    "       kefuctl notify retry ID --estate E [--reason WHY]\n"
    "       kefuctl notify dismiss ID --estate E --reason WHY\n"
    "       kefuctl notify test --estate E --channel email|webhook|sms|wechat --address A\n"
    "                           [--text T] [--template ID]\n\n"
    "log: what was sent to whom, when, through which channel, and what failed,\n"
    "newest first. --alarms: only the failed and uncertain ones; each stays an\n"
    "alarm until a supervisor retries it (sends it again: for an uncertain one,\n"
    "knowing it may arrive twice) or dismisses it with the reason.\n"
    "test: one message through one channel now, to see that it works.",
    s_notify, NULL
};

static int
s_notify (ctl_t *ctl, int argc, char **argv)
{
    s_args_t a = { 0 };
    kf__page_request__init (&a.page);
    int code;
    int first = ctl_options (ctl, &ctl_notify_command, argc, argv, s_spec, s_option, &a, &code);
    if (first < 0)
        return code;
    const char *action = first < argc ? argv [first] : NULL;
    bool log = action && strcmp (action, "log") == 0, test = action && strcmp (action, "test") == 0;
    bool retry = action && strcmp (action, "retry") == 0, dismiss = action && strcmp (action, "dismiss") == 0;
    if (!log && !test && !retry && !dismiss)
        return ctl_fail (CTL_USAGE, "notify: give an action (log, retry, dismiss, test)");
    int operands = retry || dismiss ? 1 : 0;
    if (argc - first - 1 != operands)
        return operands ? ctl_fail (CTL_USAGE, "notify %s: give the delivery's ID", action)
                        : ctl_fail (CTL_USAGE, "notify %s: takes no operands", action);
    if (dismiss && (!a.reason || !*a.reason))
        return ctl_fail (CTL_USAGE, "notify dismiss: give --reason");
    if (!ctl_config (ctl))
        return CTL_FAILED;
    char command [32];
    snprintf (command, sizeof command, "notify %s", action);
    const char *estate = ctl_estate (ctl, command, a.estate, &code);
    if (!estate)
        return code;
    Kf__Request request;
    ctl_request_init (ctl, &request);
    if (log) {
        Kf__ListDeliveries q = KF__LIST_DELIVERIES__INIT;
        q.estate = (char *) estate;
        q.ticket_no = (char *) a.ticket;
        q.address = (char *) a.address;
        KF_SET (&q, alarms, a.alarms);
        int value;
        if (a.status) {
            if (ctl_enum (&kf__delivery_status__descriptor, "notify log --status", a.status, &value))
                return CTL_USAGE;
            KF_SET (&q, status, value);
        }
        q.page = &a.page;
        request.command_case = KF__REQUEST__COMMAND_LIST_DELIVERIES;
        request.list_deliveries = &q;
        ctl_table_t *table = ctl->json ? NULL
                           : ctl_table_new (10, "ID", "MADE", "KIND", "CHANNEL", "TO", "STATUS", "TRIES", "SENT",
                                            "TICKET", "REASON");
        uint32_t alarms = 0;
        int rc = ctl_list_pages (ctl, "kefu-notify", s_endpoint (ctl), &request, &a.page, a.all, table, "message",
                                 s_rows, &alarms);
        if (rc == 0 && !ctl->json)
            printf ("%u open alarm%s\n", alarms, alarms == 1 ? "" : "s");
        return rc;
    }
    if (retry || dismiss) {
        Kf__ResolveDelivery q = KF__RESOLVE_DELIVERY__INIT;
        q.estate = (char *) estate;
        q.id = argv [first + 1];
        q.reason = (char *) a.reason;
        request.command_case = retry ? KF__REQUEST__COMMAND_RETRY_DELIVERY : KF__REQUEST__COMMAND_DISMISS_DELIVERY;
        if (retry)
            request.retry_delivery = &q;
        else
            request.dismiss_delivery = &q;
        return ctl_print_result (ctl, "kefu-notify", ctl_call (ctl, "kefu-notify", s_endpoint (ctl), &request),
                                 KF__REPLY__RESULT_DELIVERY, s_print_delivery);
    }
    if (!a.channel || !a.address)
        return ctl_fail (CTL_USAGE, "notify test: give --channel and --address");
    Kf__TestNotification q = KF__TEST_NOTIFICATION__INIT;
    q.estate = (char *) estate;
    int value;
    if (ctl_enum (&kf__notify_channel__descriptor, "notify test --channel", a.channel, &value))
        return CTL_USAGE;
    KF_SET (&q, channel, value);
    q.address = (char *) a.address;
    q.text = (char *) a.text;
    q.template_id = (char *) a.template_id;
    request.command_case = KF__REQUEST__COMMAND_TEST_NOTIFICATION;
    request.test_notification = &q;
    return ctl_print_result (ctl, "kefu-notify", ctl_call (ctl, "kefu-notify", s_endpoint (ctl), &request),
                             KF__REPLY__RESULT_DELIVERY, s_print_delivery);
}
